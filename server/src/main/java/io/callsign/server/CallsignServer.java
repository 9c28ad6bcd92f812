package io.callsign.server;

import io.callsign.server.accesstokens.AccessTokenRoutes;
import io.callsign.server.accesstokens.AccessTokenService;
import io.callsign.server.accounts.AccountRoutes;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AuthTokenRoutes;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.crypto.SecretFiles;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexRoutes;
import io.callsign.server.flex.FlexService;
import io.callsign.server.flex.FlexTokenRoutes;
import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.flex.JdbiFlexStore;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.HealthRoutes;
import io.callsign.server.http.WebRoutes;
import io.callsign.server.keys.IamKeyRoutes;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyRoutes;
import io.callsign.server.keys.KeyService;
import io.callsign.server.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;

/**
 * The composition root: config, secret box, database, stores, services, routes, built with plain
 * constructors in that order. The constructor prepares everything (data directory, keyset,
 * migrations, root account); {@link #start()} opens the port.
 */
public final class CallsignServer implements AutoCloseable {
  /** The line of credentials.env that names the root account's Flex instance. */
  public static final String FLEX_INSTANCE_VAR = "FLEX_INSTANCE_SID";

  private final Database database;
  private final AccountService.Bootstrap bootstrap;
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
   * Builds the server for {@code config}, taking the time from {@code clock} (tests move it to
   * expire tokens without waiting).
   *
   * @throws IllegalArgumentException for bad operator input (e.g. malformed root credentials)
   * @throws UncheckedIOException when the data directory cannot be written
   */
  public CallsignServer(ServerConfig config, Clock clock) {
    try {
      SecretFiles.ensureDirectory(config.dataDir());
      SecretBox box = SecretBox.open(config.masterKeysetJson(), config.dataDir());
      database =
          config.database() == null
              ? Database.sqlite(config.dataDir())
              : Database.postgresql(config.database());
      try {
        database.migrate();
        JdbiFlexStore flexStore = new JdbiFlexStore(database.jdbi(), box);
        // Every account gets its Flex instance in the transaction that creates it.
        AccountService accounts =
            new AccountService(
                new JdbiAccountStore(
                    database.jdbi(),
                    box,
                    (h, account) ->
                        flexStore.insertInstanceFor(h, account.sid(), account.dateCreated())),
                clock);
        bootstrap =
            accounts.bootstrap(config.rootAccountSid(), config.rootAuthToken(), config.dataDir());
        FlexService flex = new FlexService(flexStore, clock);
        // Accounts created before Flex existed get theirs now.
        flex.createMissingInstances();
        FlexInstance rootInstance = flex.instanceOf(bootstrap.root().sid()).orElseThrow();
        AccountService.recordInCredentialsFile(
            bootstrap, FLEX_INSTANCE_VAR, rootInstance.sid().value());
        KeyService keys = new KeyService(new JdbiKeyStore(database.jdbi(), box), clock);
        // One cache of accounts and keys for authentication and token introspection alike.
        CredentialCache credentials = new CredentialCache(accounts, keys);
        // A deleted or changed key takes effect (on authentication and on its tokens) on this
        // node at once, not after the cache expiry.
        keys.onChange(credentials::invalidate);
        // So does a replaced auth token or a suspended account.
        accounts.onChange(credentials::invalidate);
        Authenticator authenticator = new Authenticator(credentials);
        AccessTokenService accessTokens = new AccessTokenService(credentials, clock);
        FlexTokenService flexTokens = new FlexTokenService(flex, flexStore, credentials, clock);
        // A deprovisioned user's tokens stop validating on this node at once.
        flex.onUserChange(flexTokens::userChanged);
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
                    new FlexTokenRoutes(authenticator, accounts, flex, flexTokens)));
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
    port = web.start();
    return port;
  }

  /** Whether the database answers and the migrations have run (what {@code /readyz} reports). */
  public boolean isReady() {
    return database.isReady();
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
        database.close();
      }
    }
  }

  @Override
  public void close() {
    stop();
  }
}
