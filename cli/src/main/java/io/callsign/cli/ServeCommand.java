package io.callsign.cli;

import io.callsign.server.CallsignServer;
import io.callsign.server.config.AuditSinkConfig;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.logs.Logs;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code callsign serve}: runs the server until SIGTERM or SIGINT, then drains in-flight requests
 * and exits.
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the Callsign server (SQLite in the data directory unless --database-url is given).",
      "On first start the root account is created: from CALLSIGN_ACCOUNT_SID and"
          + " CALLSIGN_AUTH_TOKEN when both are set, else generated into DATA/credentials.env."
    })
final class ServeCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(ServeCommand.class);
  private static final String SINK_SECRET = "CALLSIGN_AUDIT_SINK_SECRET";

  @Option(names = "--host", description = "Interface to listen on (default: ${DEFAULT-VALUE}).")
  String host = ServerConfig.DEFAULT_HOST;

  @Option(
      names = "--port",
      description = "TCP port, 0 for any free one (default: ${DEFAULT-VALUE}).")
  int port = ServerConfig.DEFAULT_PORT;

  @Mixin DatabaseOptions data = new DatabaseOptions();

  @Option(
      names = "--audit-retention-days",
      defaultValue = "${env:CALLSIGN_AUDIT_RETENTION_DAYS:-90}",
      description = {
        "Days audit events are kept; older ones are deleted hourly, keeping the rest verifiable."
            + " 0 keeps every event. Env: CALLSIGN_AUDIT_RETENTION_DAYS (default: 90)."
      })
  int auditRetentionDays;

  @Option(
      names = "--audit-sink-url",
      defaultValue = "${env:CALLSIGN_AUDIT_SINK_URL}",
      description = {
        "Stream every audit event to this http(s) URL: POSTed in order, in JSON batches signed with"
            + " X-Twilio-Signature (bodySHA256) keyed by CALLSIGN_AUDIT_SINK_SECRET (32+"
            + " characters), retried until acknowledged. Env: CALLSIGN_AUDIT_SINK_URL."
      })
  String auditSinkUrl;

  @Option(
      names = "--cluster-reconcile-seconds",
      defaultValue = "${env:CALLSIGN_CLUSTER_RECONCILE_SECONDS:-5}",
      description = {
        "With --database-url: how often this node reads the change log that the nodes sharing the"
            + " database write, so that a change whose notification was lost still takes effect"
            + " here within this many seconds (1 to 300). Env: CALLSIGN_CLUSTER_RECONCILE_SECONDS"
            + " (default: 5)."
      })
  int clusterReconcileSeconds;

  @Option(
      names = "--log-format",
      defaultValue = "${env:CALLSIGN_LOG_FORMAT:-text}",
      description = {
        "text (for people) or json (one object per line, for collectors). Every line names its"
            + " request id, also sent as the Twilio-Request-Id header. Env: CALLSIGN_LOG_FORMAT"
            + " (default: text)."
      })
  String logFormat;

  @Option(
      names = "--log-level",
      defaultValue = "${env:CALLSIGN_LOG_LEVEL:-info}",
      description = {
        "error, warn, info, debug or trace; debug adds a line per request. Secrets are never"
            + " logged at any level. Env: CALLSIGN_LOG_LEVEL (default: info)."
      })
  String logLevel;

  @Option(
      names = "--check",
      description = {
        "Start, check that the service is ready (database reachable, migrations applied), then"
            + " stop: exit 0 when ready, 1 otherwise. Nothing is left running."
      })
  boolean check;

  /** The configuration these options and {@code env} describe. */
  ServerConfig config(Map<String, String> env) {
    if (data.databaseUrl == null && (data.databaseUser != null || data.databasePassword != null)) {
      LOG.warn("Database user and password are ignored without --database-url");
    }
    return ServerConfig.defaults(env)
        .withListen(host, port)
        .withDataDir(data.dataDir)
        .withDatabase(database())
        .withAuditRetention(auditRetention())
        .withAuditSink(
            auditSinkUrl == null || auditSinkUrl.isBlank()
                ? null
                : new AuditSinkConfig(auditSinkUrl, env.get(SINK_SECRET)));
  }

  private DatabaseConfig database() {
    DatabaseConfig db = data.database();
    if (clusterReconcileSeconds < 1) {
      throw new IllegalArgumentException(
          "--cluster-reconcile-seconds must be 1 or more, was " + clusterReconcileSeconds);
    }
    return db == null ? null : db.withClusterReconcile(Duration.ofSeconds(clusterReconcileSeconds));
  }

  private Duration auditRetention() {
    if (auditRetentionDays < 0) {
      throw new IllegalArgumentException(
          "--audit-retention-days must be 0 (keep forever) or more, was " + auditRetentionDays);
    }
    return Duration.ofDays(auditRetentionDays);
  }

  /** Builds and starts the server; returns it running. */
  CallsignServer start(Map<String, String> env) {
    ServerConfig cfg = config(env);
    CallsignServer server = new CallsignServer(cfg);
    int bound;
    try {
      bound = server.start();
    } catch (RuntimeException e) {
      server.stop();
      throw e;
    }
    LOG.info("Callsign is listening on http://{}:{}", hostForUrl(cfg.host()), bound);
    if (server.credentialsFile() != null) {
      LOG.info("Root account credentials are in {}", server.credentialsFile().toAbsolutePath());
    } else {
      LOG.info(
          "Root account {} uses the credentials from the environment",
          server.bootstrap().root().sid());
    }
    return server;
  }

  @Override
  public Integer call() throws InterruptedException {
    Logs.configure(Logs.Format.parse(logFormat), Logs.level(logLevel), System.err);
    CallsignServer server = start(System.getenv());
    if (check) {
      boolean ready = answersReady(server.port());
      server.stop();
      LOG.info(ready ? "Check passed: ready" : "Check failed: the database is not ready");
      return ready ? 0 : 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Shutting down: draining in-flight requests");
                  server.stop();
                  stopped.countDown();
                },
                "callsign-shutdown"));
    stopped.await();
    return 0;
  }

  // Asks the running server itself, so that the check covers the listener and request handling
  // as well as the database.
  private boolean answersReady(int boundPort) throws InterruptedException {
    String local = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : hostForUrl(host);
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<Void> res =
          http.send(
              HttpRequest.newBuilder(URI.create("http://" + local + ":" + boundPort + "/readyz"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.discarding());
      return res.statusCode() == 200;
    } catch (IOException e) {
      LOG.warn("Check: cannot reach the server on port {}: {}", boundPort, e.getMessage());
      return false;
    }
  }

  private static String hostForUrl(String host) {
    return host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
  }
}
