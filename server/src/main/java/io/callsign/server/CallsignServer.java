package io.callsign.server;

import io.callsign.server.accesstokens.AccessTokenRoutes;
import io.callsign.server.accesstokens.AccessTokenService;
import io.callsign.server.accounts.AccountRoutes;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AuthTokenRoutes;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.audit.AuditLog;
import io.callsign.server.audit.AuditRetention;
import io.callsign.server.audit.AuditSink;
import io.callsign.server.audit.EventRoutes;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.cluster.ClusterInvalidation;
import io.callsign.server.cluster.LocalCaches;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.console.ConsoleRoutes;
import io.callsign.server.console.ConsoleService;
import io.callsign.server.console.JdbiConsoleStore;
import io.callsign.server.crypto.PasswordHasher;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.crypto.SecretFiles;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexRoutes;
import io.callsign.server.flex.FlexService;
import io.callsign.server.flex.FlexTokenRoutes;
import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.flex.JdbiFlexStore;
import io.callsign.server.flex.TokenServerRoutes;
import io.callsign.server.flex.TokenServerService;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.HealthRoutes;
import io.callsign.server.http.MetricsRoutes;
import io.callsign.server.http.WebRoutes;
import io.callsign.server.keys.IamKeyRoutes;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyRoutes;
import io.callsign.server.keys.KeyService;
import io.callsign.server.sso.JdbiSsoStore;
import io.callsign.server.sso.SsoLoginRoutes;
import io.callsign.server.sso.SsoLoginService;
import io.callsign.server.sso.SsoProfileRoutes;
import io.callsign.server.sso.SsoProfileService;
import io.callsign.server.store.Database;
import io.callsign.server.throttle.LoginThrottle;
import io.callsign.server.throttle.ThrottlePolicy;
import io.callsign.server.usage.JdbiKeyUsageStore;
import io.callsign.server.usage.KeyUsageLog;
import io.callsign.server.usage.KeyUsageRoutes;
import io.callsign.server.usage.KeyUsageService;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: config, secret box, database, stores, services, routes, built with plain
 * constructors in that order. The constructor prepares everything (data directory, keyset,
 * migrations, root account); {@link #start()} opens the port.
 */
public final class CallsignServer implements AutoCloseable {
  /** The line of credentials.env that names the root account's Flex instance. */
  public static final String FLEX_INSTANCE_VAR = "FLEX_INSTANCE_SID";

  private static final Logger LOG = LoggerFactory.getLogger(CallsignServer.class);

  // Authentication events waiting for the background writer, at most.
  private static final int AUDIT_QUEUE = 100_000;

  private final Database database;
  private final AuditLog audit;
  private final AuditRetention retention;
  private final AuditSink sink;
  private final KeyUsageLog keyUsage;
  private final ClusterInvalidation cluster;
  private final PrometheusMeterRegistry metrics;
  private final JvmGcMetrics gcMetrics;
  private final AccountService.Bootstrap bootstrap;
  private final ConsoleService console;
  private final WebRoutes web;
  private final Object lifecycle = new Object();
  private boolean stopped;
  private volatile int port = -1;

  /**
   * Builds the server for {@code config}.
   *
   * @throws IllegalArgumentException for bad operator input (e.g. malformed root credentials)
   * @throws UncheckedIOException when the data directory cannot be written
   */
  public CallsignServer(ServerConfig config) {
    this(config, Clock.systemUTC());
  }

  /**
   * Builds the server for {@code config}, taking every time (records, tokens, sign-in throttling)
   * from {@code clock}: tests move it rather than sleep.
   *
   * @throws IllegalArgumentException for bad operator input (e.g. malformed root credentials)
   * @throws UncheckedIOException when the data directory cannot be written
   */
  public CallsignServer(ServerConfig config, Clock clock) {
    try {
      SecretFiles.ensureDirectory(config.dataDir());
      SecretBox box = SecretBox.open(config.masterKeysetJson(), config.dataDir());
      // This process among the nodes sharing a PostgreSQL database (cluster invalidation).
      String node = ClusterInvalidation.newNodeId();
      database =
          config.database() == null
              ? Database.sqlite(config.dataDir())
              : Database.postgresql(config.database(), ClusterInvalidation.applicationName(node));
      try {
        database.migrate();
        audit = new AuditLog(new JdbiAuditStore(database.jdbi()), AUDIT_QUEUE);
        retention = new AuditRetention(audit.store(), config.auditRetention(), clock);
        sink =
            config.auditSink() == null
                ? null
                : new AuditSink(audit.store(), config.auditSink(), clock);
        JdbiFlexStore flexStore = new JdbiFlexStore(database.jdbi(), box);
        // Every account gets its Flex instance in the transaction that creates it.
        AccountService accounts =
            new AccountService(
                new JdbiAccountStore(
                    database.jdbi(),
                    box,
                    (h, account) ->
                        flexStore.insertInstanceFor(h, account.sid(), account.dateCreated())),
                clock,
                audit);
        bootstrap =
            accounts.bootstrap(config.rootAccountSid(), config.rootAuthToken(), config.dataDir());
        FlexService flex = new FlexService(flexStore, clock, audit);
        // Accounts created before Flex existed get theirs now.
        flex.createMissingInstances();
        FlexInstance rootInstance = flex.instanceOf(bootstrap.root().sid()).orElseThrow();
        AccountService.recordInCredentialsFile(
            bootstrap, FLEX_INSTANCE_VAR, rootInstance.sid().value());
        KeyService keys = new KeyService(new JdbiKeyStore(database.jdbi(), box), clock, audit);
        // One cache of accounts and keys for authentication and token introspection alike.
        CredentialCache credentials = new CredentialCache(accounts, keys);
        // A deleted or changed key takes effect (on authentication and on its tokens) on this
        // node at once, not after the cache expiry.
        keys.onChange(credentials::invalidate);
        // So does a replaced auth token or a suspended account.
        accounts.onChange(credentials::invalidate);
        metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Key usage is counted in memory on each key authentication and written in batches.
        JdbiKeyUsageStore keyUsageStore = new JdbiKeyUsageStore(database.jdbi());
        keyUsage = new KeyUsageLog(keyUsageStore, audit, config.keyUsage(), clock, metrics);
        Authenticator authenticator =
            new Authenticator(credentials, audit, keyUsage, clock, bootstrap.root().sid().value());
        AccessTokenService accessTokens = new AccessTokenService(credentials, clock);
        FlexTokenService flexTokens =
            new FlexTokenService(flex, flexStore, credentials, clock, audit);
        // A deprovisioned user's tokens stop validating on this node at once.
        flex.onUserChange(flexTokens::userChanged);
        // Changes made through the other nodes on the same PostgreSQL database reach the same
        // caches within milliseconds (a no-op on SQLite, which has one node).
        cluster =
            ClusterInvalidation.of(
                database, config.database(), node, new LocalCaches(credentials, flexTokens));
        JdbiSsoStore ssoStore = new JdbiSsoStore(database.jdbi(), box);
        SsoProfileService ssoProfiles = new SsoProfileService(ssoStore, flex, clock, audit);
        SsoLoginService ssoLogin =
            new SsoLoginService(ssoStore, ssoProfiles, flex, flexTokens, clock, audit);
        // Listens to the JVM's GC notifications until closed.
        gcMetrics = new JvmGcMetrics();
        for (MeterBinder binder :
            List.of(
                audit,
                credentials,
                authenticator,
                accessTokens,
                flexTokens,
                cluster,
                new JvmMemoryMetrics(),
                gcMetrics,
                new JvmThreadMetrics(),
                new ProcessorMetrics(),
                new UptimeMetrics())) {
          binder.bindTo(metrics);
        }
        if (sink != null) {
          sink.bindTo(metrics);
        }
        // Token-server and console sign-ins share one hasher (one memory budget) and one throttle
        // (so that an address guessing at both is counted once); on PostgreSQL its counters are in
        // the database, so that every node sharing it counts against the same budget.
        PasswordHasher passwords = PasswordHasher.standard();
        LoginThrottle throttle = LoginThrottle.of(database, box, ThrottlePolicy.DEFAULT, clock);
        TokenServerService tokenServer =
            new TokenServerService(
                flex,
                keys,
                credentials,
                passwords,
                throttle,
                metrics,
                rootInstance.sid(),
                clock,
                audit);
        console =
            new ConsoleService(
                new JdbiConsoleStore(database.jdbi(), box),
                passwords,
                throttle,
                clock,
                audit,
                bootstrap.root().sid(),
                box);
        web =
            new WebRoutes(
                config.host(),
                config.port(),
                List.of(
                    new HealthRoutes(database::isReady),
                    new AccountRoutes(authenticator, accounts, clock),
                    new AuthTokenRoutes(authenticator, accounts),
                    new KeyRoutes(authenticator, accounts, keys, credentials),
                    new IamKeyRoutes(authenticator, accounts, keys),
                    new AccessTokenRoutes(authenticator, accessTokens),
                    new FlexRoutes(authenticator, accounts, flex),
                    new FlexTokenRoutes(authenticator, accounts, flex, flexTokens),
                    new TokenServerRoutes(authenticator, accounts, flex, tokenServer),
                    new SsoProfileRoutes(authenticator, accounts, flex, ssoProfiles),
                    new SsoLoginRoutes(ssoLogin, ssoProfiles),
                    new EventRoutes(authenticator, audit.store()),
                    new KeyUsageRoutes(
                        authenticator, accounts, keys, new KeyUsageService(keyUsageStore, clock)),
                    new ConsoleRoutes(
                        console,
                        accounts,
                        keys,
                        keyUsageStore,
                        flex,
                        flexTokens,
                        ssoProfiles,
                        audit.store(),
                        accessTokens),
                    new MetricsRoutes(metrics)),
                metrics);
      } catch (RuntimeException | IOException e) {
        database.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot prepare " + config.dataDir() + ": " + e.getMessage(), e);
    }
  }

  /** Starts serving; returns the bound port. */
  public int start() {
    audit.start();
    if (sink != null) {
      sink.start();
    } else {
      // Retention no longer waits for a receiver that was configured before.
      audit.store().configureSink(null);
    }
    retention.start();
    keyUsage.start();
    // Before serving, so that the caches are kept in step from their first entry on.
    cluster.start();
    port = web.start();
    if (console.userCount() == 0) {
      LOG.info(
          "The web console has no users yet: `callsign console-user add --email ADDRESS` prints a"
              + " one-time sign-up link for the first one");
    }
    return port;
  }

  /** Whether the database answers and the migrations have run (what {@code /readyz} reports). */
  public boolean isReady() {
    return database.isReady();
  }

  /** The web console's users and sessions (for {@code callsign console-user} and tests). */
  public ConsoleService console() {
    return console;
  }

  /**
   * Writes the queued audit events (authentications, sign-ins) now rather than in the next batch.
   */
  public void flushAudit() {
    audit.flush();
  }

  /** The bound port once started, else -1. */
  public int port() {
    return port;
  }

  /** What the first start created, or found: the root account and where its credentials are. */
  public AccountService.Bootstrap bootstrap() {
    return bootstrap;
  }

  /**
   * The credentials.env file, or {@code null} when the root credentials came from the environment.
   */
  public Path credentialsFile() {
    return bootstrap.credentialsFile();
  }

  /** Stops accepting requests, lets in-flight ones finish, and closes the database. Idempotent. */
  public void stop() {
    synchronized (lifecycle) {
      if (stopped) {
        return;
      }
      stopped = true;
      try {
        web.stop();
      } finally {
        try {
          // After the last request: its usage, and the alerts that raises, are written first.
          keyUsage.close();
        } finally {
          try {
            // Then its events, before the database goes.
            retention.close();
            if (sink != null) {
              sink.close();
            }
            audit.close();
          } finally {
            cluster.close();
            gcMetrics.close();
            metrics.close();
            database.close();
          }
        }
      }
    }
  }

  @Override
  public void close() {
    stop();
  }
}
