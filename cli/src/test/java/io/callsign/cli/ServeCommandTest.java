package io.callsign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.CallsignServer;
import io.callsign.server.config.ServerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ServeCommandTest {
  @TempDir Path dir;

  private static ServeCommand parse(String... args) {
    ServeCommand cmd = new ServeCommand();
    new CommandLine(cmd).parseArgs(args);
    return cmd;
  }

  @Test
  void serveWhenNoFlagsThenUsesDefaults() {
    ServerConfig cfg = parse().config(Map.of());
    assertThat(cfg.host()).isEqualTo("127.0.0.1");
    assertThat(cfg.port()).isEqualTo(8080);
    assertThat(cfg.dataDir()).isEqualTo(Path.of("data"));
    assertThat(cfg.database()).isNull();
  }

  @Test
  void serveWhenFlagsGivenThenConfigCarriesThem() {
    ServerConfig cfg =
        parse(
                "--host",
                "0.0.0.0",
                "--port",
                "9090",
                "--data",
                dir.toString(),
                "--database-url",
                "jdbc:postgresql://db/callsign",
                "--database-user",
                "cs",
                "--database-password",
                "pw")
            .config(Map.of("CALLSIGN_ACCOUNT_SID", "ACx"));
    assertThat(cfg.host()).isEqualTo("0.0.0.0");
    assertThat(cfg.port()).isEqualTo(9090);
    assertThat(cfg.dataDir()).isEqualTo(dir);
    assertThat(cfg.database().url()).isEqualTo("jdbc:postgresql://db/callsign");
    assertThat(cfg.database().user()).isEqualTo("cs");
    assertThat(cfg.rootAccountSid()).isEqualTo("ACx");
    assertThat(cfg.toString()).doesNotContain("pw");
  }

  @Test
  void serveWhenAuditRetentionGivenThenConfigCarriesItAndDefaultIs90Days() {
    assertThat(parse().config(Map.of()).auditRetention()).isEqualTo(Duration.ofDays(90));
    assertThat(parse("--audit-retention-days", "7").config(Map.of()).auditRetention())
        .isEqualTo(Duration.ofDays(7));
    assertThat(parse("--audit-retention-days", "0").config(Map.of()).auditRetention()).isZero();
  }

  @Test
  void serveWhenAuditSinkUrlGivenThenSecretComesFromTheEnvironmentAndIsRequired() {
    String secret = "s".repeat(32);
    ServerConfig cfg =
        parse("--audit-sink-url", "https://siem.example.com/callsign")
            .config(Map.of("CALLSIGN_AUDIT_SINK_SECRET", secret));
    assertThat(cfg.auditSink().url()).isEqualTo("https://siem.example.com/callsign");
    assertThat(cfg.auditSink().secret()).isEqualTo(secret);
    assertThat(cfg.toString()).doesNotContain(secret);
    assertThat(parse().config(Map.of()).auditSink()).isNull();

    CliRun noSecret =
        CliRun.of(
            "serve", "--data", dir.toString(), "--audit-sink-url", "https://siem.example.com/x");
    assertThat(noSecret.status()).isEqualTo(2);
    assertThat(noSecret.err()).contains("CALLSIGN_AUDIT_SINK_SECRET");
    CliRun notHttp =
        CliRun.of("serve", "--data", dir.toString(), "--audit-sink-url", "ftp://siem.example.com");
    assertThat(notHttp.status()).isEqualTo(2);
    assertThat(notHttp.err()).contains("must be an http or https URL");
  }

  @Test
  void serveWhenClusterReconcileGivenThenDatabaseCarriesItAndDefaultIsFiveSeconds() {
    String url = "jdbc:postgresql://db/callsign";
    assertThat(parse("--database-url", url).config(Map.of()).database().clusterReconcile())
        .isEqualTo(Duration.ofSeconds(5));
    assertThat(
            parse("--database-url", url, "--cluster-reconcile-seconds", "2")
                .config(Map.of())
                .database()
                .clusterReconcile())
        .isEqualTo(Duration.ofSeconds(2));
    // SQLite has one node: nothing to reconcile.
    assertThat(parse("--cluster-reconcile-seconds", "2").config(Map.of()).database()).isNull();

    for (String bad : new String[] {"0", "301"}) {
      CliRun run =
          CliRun.of(
              "serve",
              "--data",
              dir.toString(),
              "--database-url",
              url,
              "--cluster-reconcile-seconds",
              bad);
      assertThat(run.status()).as(run.err()).isEqualTo(2);
      assertThat(run.err()).contains("reconcile");
    }
  }

  @Test
  void serveWhenAuditRetentionNegativeThenUsageError() {
    CliRun run =
        CliRun.of("serve", "--data", dir.toString(), "--port", "0", "--audit-retention-days", "-1");
    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("--audit-retention-days must be 0 (keep forever) or more");
  }

  @Test
  void serveWhenLogFormatOrLevelUnknownThenUsageErrorNamingTheChoices() {
    CliRun format = CliRun.of("serve", "--data", dir.toString(), "--log-format", "xml");
    assertThat(format.status()).isEqualTo(2);
    assertThat(format.err()).contains("log format must be text or json");
    CliRun level = CliRun.of("serve", "--data", dir.toString(), "--log-level", "loud");
    assertThat(level.status()).isEqualTo(2);
    assertThat(level.err()).contains("error, warn, info, debug, trace");
  }

  @Test
  void serveCheckWhenDatabaseReadyThenExits0AndLeavesNothingRunning() throws Exception {
    CliRun run = CliRun.of("serve", "--check", "--port", "0", "--data", dir.toString());

    assertThat(run.status()).as(run.err()).isZero();
    assertThat(dir.resolve("credentials.env")).exists();
    // The port was released: the same directory serves again at once.
    CliRun again = CliRun.of("serve", "--check", "--port", "0", "--data", dir.toString());
    assertThat(again.status()).isZero();
  }

  @Test
  void serveCheckWhenDatabaseUnreachableThenExits1() {
    // Nothing listens on port 1; the pool gives up after its connection timeout.
    CliRun run =
        CliRun.of(
            "serve",
            "--check",
            "--port",
            "0",
            "--data",
            dir.toString(),
            "--database-url",
            "jdbc:postgresql://127.0.0.1:1/callsign");

    assertThat(run.status()).isEqualTo(1);
  }

  @Test
  void serveWhenDatabaseUrlNotPostgresqlThenUsageError() {
    CliRun run = CliRun.of("serve", "--data", dir.toString(), "--database-url", "jdbc:mysql://x/y");
    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("jdbc:postgresql:");
  }

  @Test
  void serveWhenPortOutOfRangeThenUsageError() {
    CliRun run = CliRun.of("serve", "--data", dir.toString(), "--port", "70000");
    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("port");
  }

  @Test
  void serveWhenStartedThenAnswersHealthzAndWritesCredentials() throws Exception {
    CallsignServer server = parse("--port", "0", "--data", dir.toString()).start(Map.of());
    try {
      assertThat(server.credentialsFile()).exists();
      HttpResponse<String> res =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + server.port() + "/healthz"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(res.statusCode()).isEqualTo(200);
    } finally {
      server.stop();
    }
  }
}
