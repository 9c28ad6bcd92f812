package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.config.ServerConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * kill -9 during a burst of key creations: every key whose creation was acknowledged (201 with its
 * secret) is there after a restart, and authenticates. The server runs in a process of its own so
 * that it can really be killed.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class CrashDurabilityTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "fedcba9876543210".repeat(2);
  private static final String TOKEN = "c".repeat(16) + "d".repeat(16);
  private static final String ACCOUNT = "/2010-04-01/Accounts/" + SID;
  private static final int CLIENTS = 8;
  private static final int KILL_AFTER = 100;

  @TempDir Path dir;

  private record Created(String sid, String secret) {}

  @Test
  void killDashNineDuringKeyCreationsThenEveryAcknowledgedKeyIsThereAndWorks() throws Exception {
    ServerConfig config = db.config(dir).withRootCredentials(SID, TOKEN);
    String jdbcUrl = config.database() == null ? null : config.database().url();
    List<Created> acknowledged = new ArrayList<>();
    AtomicInteger inFlight = new AtomicInteger();
    int inFlightAtKill;
    int cutOffByKill;
    try (ServerProcess server =
        ServerProcess.launch(
            dir, jdbcUrl, Map.of("CALLSIGN_ACCOUNT_SID", SID, "CALLSIGN_AUTH_TOKEN", TOKEN))) {
      ConcurrentLinkedQueue<Created> created = new ConcurrentLinkedQueue<>();
      AtomicInteger cutOff = new AtomicInteger();
      ConcurrentLinkedQueue<String> unexpected = new ConcurrentLinkedQueue<>();
      CountDownLatch enough = new CountDownLatch(KILL_AFTER);
      HttpClient client = HttpClient.newHttpClient();
      HttpRequest create =
          HttpRequest.newBuilder(
                  URI.create("http://127.0.0.1:" + server.port() + ACCOUNT + "/Keys.json"))
              .header("Authorization", basic(SID, TOKEN))
              .header("Content-Type", "application/x-www-form-urlencoded")
              .timeout(Duration.ofSeconds(10))
              .POST(HttpRequest.BodyPublishers.ofString("FriendlyName=crash"))
              .build();
      List<Thread> clients = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        clients.add(
            Thread.ofPlatform()
                .name("crash-client-" + i)
                .start(
                    () -> {
                      // Until the server is gone: the kill ends every client with an I/O error.
                      while (true) {
                        inFlight.incrementAndGet();
                        try {
                          HttpResponse<String> res =
                              client.send(create, HttpResponse.BodyHandlers.ofString());
                          if (res.statusCode() != 201) {
                            unexpected.add(res.statusCode() + " " + res.body());
                            return;
                          }
                          JsonNode key = JSON.readTree(res.body());
                          created.add(
                              new Created(key.get("sid").asText(), key.get("secret").asText()));
                          enough.countDown();
                        } catch (ConnectException e) {
                          return; // sent after the kill
                        } catch (IOException e) {
                          cutOff.incrementAndGet(); // in flight when the process died
                          return;
                        } catch (InterruptedException e) {
                          Thread.currentThread().interrupt();
                          return;
                        } finally {
                          inFlight.decrementAndGet();
                        }
                      }
                    }));
      }
      assertThat(enough.await(30, TimeUnit.SECONDS))
          .as(
              "%d keys acknowledged in 30 s; other answers: %s; server log:%n%s",
              created.size(), unexpected, server.output())
          .isTrue();
      inFlightAtKill = inFlight.get();

      server.process().destroyForcibly(); // SIGKILL

      assertThat(server.awaitExit(10, TimeUnit.SECONDS)).isTrue();
      for (Thread t : clients) {
        t.join(Duration.ofSeconds(15));
        assertThat(t.isAlive()).as(t.getName() + " still running").isFalse();
      }
      assertThat(unexpected)
          .as("answers other than 201; server log:%n%s", server.output())
          .isEmpty();
      acknowledged.addAll(created);
      cutOffByKill = cutOff.get();
    }

    try (CallsignServer restarted = new CallsignServer(config)) {
      int port = restarted.start();
      int found = 0;
      int authenticated = 0;
      for (Created key : acknowledged) {
        if (TestServers.get(port, ACCOUNT + "/Keys/" + key.sid() + ".json", basic(SID, TOKEN))
                .statusCode()
            == 200) {
          found++;
        }
        if (TestServers.get(port, ACCOUNT + ".json", basic(key.sid(), key.secret())).statusCode()
            == 200) {
          authenticated++;
        }
      }
      String figures =
          "%s: acknowledged=%d found=%d authenticated=%d (in flight at the kill: %d, cut off: %d)"
              .formatted(
                  db, acknowledged.size(), found, authenticated, inFlightAtKill, cutOffByKill);
      System.out.println("CrashDurabilityTest " + figures);
      assertThat(acknowledged.size()).as(figures).isGreaterThanOrEqualTo(KILL_AFTER);
      // The kill hit a burst: some requests never got their answer.
      assertThat(cutOffByKill).as(figures).isPositive();
      assertThat(found).as(figures).isEqualTo(acknowledged.size());
      assertThat(authenticated).as(figures).isEqualTo(acknowledged.size());
    }
  }
}
