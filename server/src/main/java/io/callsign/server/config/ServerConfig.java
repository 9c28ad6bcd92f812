package io.callsign.server.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The validated configuration of one server process. Built from flags and the environment by the
 * CLI, or directly by tests; every field is checked here so that the rest of the server can trust
 * it.
 *
 * @param host the interface to bind, e.g. {@code 127.0.0.1}
 * @param port the TCP port, 0 for any free port
 * @param dataDir where the SQLite database, the master keyset and credentials.env live
 * @param database the external database, or {@code null} for SQLite in {@code dataDir}
 * @param rootAccountSid {@code CALLSIGN_ACCOUNT_SID}, or {@code null}
 * @param rootAuthToken {@code CALLSIGN_AUTH_TOKEN}, or {@code null}
 * @param masterKeysetJson {@code CALLSIGN_MASTER_KEYSET}, a Tink JSON keyset, or {@code null}
 * @param auditRetention how long audit events are kept; {@link Duration#ZERO} keeps them forever
 * @param auditSink where audit events are streamed to, or {@code null}
 * @param keyUsage how API-key usage is recorded and alerted on
 */
public record ServerConfig(
    String host,
    int port,
    Path dataDir,
    DatabaseConfig database,
    String rootAccountSid,
    String rootAuthToken,
    String masterKeysetJson,
    Duration auditRetention,
    AuditSinkConfig auditSink,
    KeyUsageConfig keyUsage) {

  /** The default interface: loopback only, so a fresh install is not exposed by accident. */
  public static final String DEFAULT_HOST = "127.0.0.1";

  /** The default port. */
  public static final int DEFAULT_PORT = 8080;

  /** The default data directory, relative to the working directory. */
  public static final Path DEFAULT_DATA_DIR = Path.of("data");

  /** How long audit events are kept unless configured otherwise. */
  public static final Duration DEFAULT_AUDIT_RETENTION = Duration.ofDays(90);

  /** Validates every field. */
  public ServerConfig {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("host must not be blank");
    }
    if (port < 0 || port > 65_535) {
      throw new IllegalArgumentException("port must be between 0 and 65535, was " + port);
    }
    Objects.requireNonNull(dataDir, "dataDir");
    rootAccountSid = blankToNull(rootAccountSid);
    rootAuthToken = blankToNull(rootAuthToken);
    masterKeysetJson = blankToNull(masterKeysetJson);
    Objects.requireNonNull(auditRetention, "auditRetention");
    if (auditRetention.isNegative()) {
      throw new IllegalArgumentException("audit retention must not be negative");
    }
    Objects.requireNonNull(keyUsage, "keyUsage");
  }

  /** A configuration with the default audit retention, no sink and the default key-usage rules. */
  public ServerConfig(
      String host,
      int port,
      Path dataDir,
      DatabaseConfig database,
      String rootAccountSid,
      String rootAuthToken,
      String masterKeysetJson) {
    this(
        host,
        port,
        dataDir,
        database,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        DEFAULT_AUDIT_RETENTION,
        null,
        KeyUsageConfig.DEFAULTS);
  }

  /**
   * The defaults, reading the secrets that only ever come from the environment out of {@code env},
   * and the key-usage thresholds when set there ({@link KeyUsageConfig#fromEnv}).
   */
  public static ServerConfig defaults(Map<String, String> env) {
    return new ServerConfig(
            DEFAULT_HOST,
            DEFAULT_PORT,
            DEFAULT_DATA_DIR,
            null,
            env.get("CALLSIGN_ACCOUNT_SID"),
            env.get("CALLSIGN_AUTH_TOKEN"),
            env.get("CALLSIGN_MASTER_KEYSET"))
        .withKeyUsage(KeyUsageConfig.fromEnv(env));
  }

  /** A copy listening on {@code host} and {@code port}. */
  public ServerConfig withListen(String newHost, int newPort) {
    return new ServerConfig(
        newHost,
        newPort,
        dataDir,
        database,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        auditRetention,
        auditSink,
        keyUsage);
  }

  /** A copy keeping its files in {@code dir}. */
  public ServerConfig withDataDir(Path dir) {
    return new ServerConfig(
        host,
        port,
        dir,
        database,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        auditRetention,
        auditSink,
        keyUsage);
  }

  /** A copy using {@code db} ({@code null} for the embedded SQLite database). */
  public ServerConfig withDatabase(DatabaseConfig db) {
    return new ServerConfig(
        host,
        port,
        dataDir,
        db,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        auditRetention,
        auditSink,
        keyUsage);
  }

  /** A copy with the root account's credentials given (either may be {@code null}). */
  public ServerConfig withRootCredentials(String sid, String authToken) {
    return new ServerConfig(
        host,
        port,
        dataDir,
        database,
        sid,
        authToken,
        masterKeysetJson,
        auditRetention,
        auditSink,
        keyUsage);
  }

  /** A copy keeping audit events for {@code retention} ({@link Duration#ZERO}: forever). */
  public ServerConfig withAuditRetention(Duration retention) {
    return new ServerConfig(
        host,
        port,
        dataDir,
        database,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        retention,
        auditSink,
        keyUsage);
  }

  /** A copy streaming audit events to {@code sink} ({@code null}: not at all). */
  public ServerConfig withAuditSink(AuditSinkConfig sink) {
    return new ServerConfig(
        host,
        port,
        dataDir,
        database,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        auditRetention,
        sink,
        keyUsage);
  }

  /** A copy recording key usage as {@code usage} says. */
  public ServerConfig withKeyUsage(KeyUsageConfig usage) {
    return new ServerConfig(
        host,
        port,
        dataDir,
        database,
        rootAccountSid,
        rootAuthToken,
        masterKeysetJson,
        auditRetention,
        auditSink,
        usage);
  }

  // Secrets stay out of logs and exception messages even when the whole config is printed.
  @Override
  public String toString() {
    return ("ServerConfig[host=%s, port=%d, dataDir=%s, database=%s, rootAccountSid=%s,"
            + " rootAuthToken=%s, masterKeyset=%s, auditRetention=%s, auditSink=%s, keyUsage=%s]")
        .formatted(
            host,
            port,
            dataDir,
            database,
            rootAccountSid,
            rootAuthToken == null ? null : "***",
            masterKeysetJson == null ? null : "***",
            auditRetention,
            auditSink,
            keyUsage);
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }
}
