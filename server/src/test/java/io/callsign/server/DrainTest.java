package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.http.HealthRoutes;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stopping drains: in-flight requests complete with their normal response, the port is closed at
 * once, and stop returns as soon as the last request is done. In-process with a route that blocks
 * until released, and as a whole process receiving SIGTERM.
 */
class DrainTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEADLINE = Duration.ofSeconds(5);

  @TempDir Path dir;

  @Test
  void stopWhenRequestInFlightThenItCompletesNewOnesAreRefusedAndStopWaitsForIt() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean handlerFinished = new AtomicBoolean();
    Routes slow =
        routes ->
            routes.get(
                "/slow",
                ctx -> {
                  entered.countDown();
                  release.await();
                  ctx.result("drained");
                  handlerFinished.set(true);
                });
    WebRoutes web =
        new WebRoutes(
            "127.0.0.1", 0, List.of(new HealthRoutes(() -> true), slow), new SimpleMeterRegistry());
    int port = web.start();
    CompletableFuture<HttpResponse<String>> inFlight =
        HttpClient.newHttpClient()
            .sendAsync(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(entered.await(DEADLINE.toSeconds(), TimeUnit.SECONDS)).isTrue();
    // A client that already has a kept-alive connection open.
    Socket keptAlive = new Socket();
    try {
      keptAlive.connect(new InetSocketAddress("127.0.0.1", port));
      assertThat(exchange(keptAlive, "/healthz").status()).isEqualTo(200);

      AtomicBoolean finishedWhenStopReturned = new AtomicBoolean();
      AtomicLong stopReturnedAt = new AtomicLong();
      Thread stopper =
          Thread.ofPlatform()
              .name("drain-test-stop")
              .start(
                  () -> {
                    web.stop();
                    stopReturnedAt.set(System.nanoTime());
                    finishedWhenStopReturned.set(handlerFinished.get());
                  });

      // The port closes at once: a new connection is refused.
      awaitRefused(port);
      // Jetty has told every graceful component to shut down once its stop waits for them (the
      // only timed wait of a stop); from then on the drain is under way.
      await(() -> stopper.getState() == Thread.State.TIMED_WAITING, "stop waiting for the drain");
      assertThatThrownBy(
              () ->
                  HttpClient.newHttpClient()
                      .send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + port + "/healthz"))
                              .build(),
                          HttpResponse.BodyHandlers.ofString()))
          .isInstanceOf(ConnectException.class);
      // A request on the kept-alive connection is turned away with the Twilio 503 body.
      RawResponse late = exchange(keptAlive, "/healthz");
      assertThat(late.status()).isEqualTo(503);
      assertThat(late.headers()).containsEntry("connection", "close");
      JsonNode body = JSON.readTree(late.body());
      assertThat(body.get("code").asInt()).isEqualTo(20503);
      assertThat(body.get("status").asInt()).isEqualTo(503);
      // As a client does on "Connection: close"; Jetty's drain also waits for open connections.
      keptAlive.close();

      assertThat(stopper.isAlive()).as("stop returned while a request was in flight").isTrue();
      assertThat(inFlight).isNotDone();
      long releasedAt = System.nanoTime();
      release.countDown();

      HttpResponse<String> res = inFlight.get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
      assertThat(res.statusCode()).isEqualTo(200);
      assertThat(res.body()).isEqualTo("drained");
      // Well before the 10 s stop timeout: stop returns when the last request is done.
      stopper.join(DEADLINE);
      assertThat(stopper.isAlive()).as("stop still running after the last request").isFalse();
      assertThat(finishedWhenStopReturned).as("request finished when stop returned").isTrue();
      long drainMillis = TimeUnit.NANOSECONDS.toMillis(stopReturnedAt.get() - releasedAt);
      System.out.println("DrainTest: stop returned " + drainMillis + " ms after the release");
    } finally {
      keptAlive.close();
    }
  }

  @Test
  void sigtermWhenServingThenProcessStopsInOrderAndExits() throws Exception {
    try (ServerProcess server = ServerProcess.launch(dir, null, Map.of())) {
      assertThat(TestServers.get(server.port(), "/healthz", null).statusCode()).isEqualTo(200);
      long signalled = System.nanoTime();

      server.process().destroy(); // SIGTERM

      assertThat(server.awaitExit(DEADLINE.toSeconds(), TimeUnit.SECONDS))
          .as("exited within %s; output:%n%s", DEADLINE, server.output())
          .isTrue();
      long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
      System.out.println("DrainTest: the process exited " + exitMillis + " ms after SIGTERM");
      // 128 + 15: the JVM's status after SIGTERM once the shutdown hooks have run.
      assertThat(server.process().exitValue()).isEqualTo(143);
      String out = server.output();
      assertThat(out)
          .containsSubsequence(
              "Shutting down: draining in-flight requests",
              "Javalin has stopped",
              "Shutdown completed", // Hikari: the database pool closed after the web server
              ServerProcess.STOPPED)
          .doesNotContain("Exception");
    }
  }

  private static void awaitRefused(int port) throws InterruptedException {
    await(
        () -> {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1_000);
            return false;
          } catch (ConnectException e) {
            return true;
          } catch (IOException e) {
            return false;
          }
        },
        "new connections refused");
  }

  private static void await(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for: " + what).isLessThan(deadline);
      Thread.sleep(5);
    }
  }

  private record RawResponse(int status, Map<String, String> headers, String body) {}

  /** One HTTP/1.1 GET on {@code socket}, which stays open (no Java client reconnects silently). */
  private static RawResponse exchange(Socket socket, String path) throws IOException {
    socket
        .getOutputStream()
        .write(
            ("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
    InputStream in = socket.getInputStream();
    String head = readHead(in);
    String[] lines = head.split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new java.util.HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      headers.put(
          lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
          lines[i].substring(colon + 1).trim());
    }
    byte[] body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    return new RawResponse(status, headers, new String(body, StandardCharsets.UTF_8));
  }

  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    while (matched < end.length) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after: " + head);
      }
      head.write(b);
      matched = b == end[matched] ? matched + 1 : (b == end[0] ? 1 : 0);
    }
    String s = head.toString(StandardCharsets.US_ASCII);
    return s.substring(0, s.length() - end.length);
  }
}
