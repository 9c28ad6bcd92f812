package io.callsign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.CallsignServer;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.store.Database;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditCommandTest {
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(32);

  @TempDir Path dir;

  /** A stopped installation in {@code dir} with a few events: three keys created, their auths. */
  @BeforeEach
  void installationWithEvents() throws Exception {
    CallsignServer server =
        new CallsignServer(
            ServerConfig.defaults(Map.of())
                .withListen("127.0.0.1", 0)
                .withDataDir(dir)
                .withRootCredentials(SID, TOKEN));
    int port = server.start();
    try (HttpClient http = HttpClient.newHttpClient()) {
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(
                        URI.create(
                            "http://127.0.0.1:"
                                + port
                                + "/2010-04-01/Accounts/"
                                + SID
                                + "/Keys.json"))
                    .header(
                        "Authorization",
                        "Basic "
                            + Base64.getEncoder().encodeToString((SID + ":" + TOKEN).getBytes()))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(HttpRequest.BodyPublishers.ofString("FriendlyName=k" + i))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(201);
      }
    } finally {
      server.stop();
    }
  }

  @Test
  void verifyWhenChainIntactThenExitsZeroWithCount() {
    CliRun run = CliRun.of("audit", "verify", "--data", dir.toString());
    assertThat(run.status()).as(run.err()).isZero();
    Map<String, Object> out = run.json();
    assertThat(out.get("ok")).isEqualTo(true);
    assertThat(((Number) out.get("events")).longValue()).isEqualTo(6);
    assertThat(((Number) out.get("head_seq")).longValue()).isEqualTo(6);
  }

  @Test
  void verifyWhenEventAlteredThenExitsOneNamingTheFirstBrokenLink() {
    try (Database db = Database.sqlite(dir)) {
      db.jdbi().useHandle(h -> h.execute("UPDATE audit_events SET actor_sid = NULL WHERE seq = 4"));
    }
    CliRun run = CliRun.of("audit", "verify", "--data", dir.toString());
    assertThat(run.status()).isEqualTo(1);
    assertThat(run.json().get("first_broken_link").toString()).startsWith("event 4 ");
    assertThat(run.err()).contains("event 4 ");
  }

  @Test
  void verifyWhenNoDatabaseThenSaysSoAndExitsTwo() {
    CliRun run = CliRun.of("audit", "verify", "--data", dir.resolve("nothing").toString());
    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("no Callsign database");
  }

  @Test
  void exportWritesEveryEventAsAJsonLineOldestFirst() {
    CliRun run = CliRun.of("audit", "export", "--data", dir.toString());
    assertThat(run.status()).as(run.err()).isZero();
    String[] lines = run.out().strip().split("\n");
    assertThat(lines).hasSize(6);
    assertThat(lines[0]).contains("\"seq\":1,").contains("\"prev_hash\":\"" + "0".repeat(64));
    assertThat(run.out()).contains("api-key.created").doesNotContain(TOKEN);
  }

  @Test
  void exportSinceTomorrowWritesNothingAndBadDateIsRefused() {
    CliRun none = CliRun.of("audit", "export", "--data", dir.toString(), "--since", "2999-01-01");
    assertThat(none.status()).isZero();
    assertThat(none.out()).isEmpty();
    CliRun bad = CliRun.of("audit", "export", "--data", dir.toString(), "--since", "soon");
    assertThat(bad.status()).isEqualTo(2);
    assertThat(bad.err()).contains("--since");
  }
}
