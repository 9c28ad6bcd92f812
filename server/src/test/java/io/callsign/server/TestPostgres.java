package io.callsign.server;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * A throwaway PostgreSQL cluster for the tests: {@code initdb} into a temp dir, {@code pg_ctl
 * start} on a free loopback port, one empty database handed out per caller, everything removed at
 * JVM exit. Started lazily, once per test JVM (about a second), so SQLite-only runs pay nothing.
 * Docker is not assumed: this uses the Debian {@code postgresql} package's binaries directly.
 *
 * <p>A test that stops and restarts PostgreSQL takes a cluster of its own ({@link
 * #startIndependent()}), so that the shared one stays up for every other test. Public for the tests
 * of feature packages, such as the shared sign-in throttle's.
 */
public final class TestPostgres implements AutoCloseable {
  /** Set to 1 (as {@code .ci/run} does) to fail instead of skip when PostgreSQL is missing. */
  static final String REQUIRE_ENV = "CALLSIGN_REQUIRE_POSTGRES";

  public static final String USER = "postgres";

  private static final String INSTALL_HINT =
      "install it with: apt-get install -y --no-install-recommends postgresql";

  private static TestPostgres instance;
  private static String unavailable;

  private final Path root;
  private final Path pgCtl;
  private final int port;
  private final boolean asPostgresUser;
  private final AtomicInteger databases = new AtomicInteger();
  private boolean removed;

  private TestPostgres(Path root, Path pgCtl, int port, boolean asPostgresUser) {
    this.root = root;
    this.pgCtl = pgCtl;
    this.port = port;
    this.asPostgresUser = asPostgresUser;
  }

  /**
   * The running cluster, started on first use. Returns empty (with {@link #unavailableReason()})
   * when there are no PostgreSQL binaries; any other failure to start is an error.
   */
  public static synchronized Optional<TestPostgres> get() {
    if (instance == null && unavailable == null) {
      instance = startNew().orElse(null);
    }
    return Optional.ofNullable(instance);
  }

  /**
   * A running cluster of the caller's own, which it may stop and start; removed by {@link #close()}
   * or at JVM exit. Empty (with {@link #unavailableReason()}) when there are no PostgreSQL
   * binaries.
   */
  public static synchronized Optional<TestPostgres> startIndependent() {
    return startNew();
  }

  private static Optional<TestPostgres> startNew() {
    Optional<Path> bin = findBinDir();
    if (bin.isEmpty()) {
      unavailable = "PostgreSQL (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql";
      return Optional.empty();
    }
    return Optional.of(start(bin.get()));
  }

  /**
   * The cluster in {@code pg}, or else the calling test is skipped for want of PostgreSQL (failed
   * when {@link #REQUIRE_ENV} is 1).
   */
  public static TestPostgres orSkip(Optional<TestPostgres> pg) {
    return pg.orElseGet(
        () -> {
          String why = unavailableReason();
          if (required()) {
            fail(why + " (" + REQUIRE_ENV + "=1: PostgreSQL tests must run)");
          }
          Assumptions.abort("skipping the PostgreSQL variant: " + why);
          return null;
        });
  }

  /** Why {@link #get()} is empty, with how to fix it. */
  static synchronized String unavailableReason() {
    return unavailable + "; " + INSTALL_HINT;
  }

  static boolean required() {
    return "1".equals(System.getenv(REQUIRE_ENV));
  }

  /** A new, empty database; its JDBC URL (user {@link #USER}, no password: trust auth). */
  public String createDatabase() {
    String name = "callsign_test_" + databases.incrementAndGet();
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create test database " + name, e);
    }
    return url(name);
  }

  public Connection connect(String database) throws SQLException {
    return DriverManager.getConnection(url(database), USER, null);
  }

  private String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  // PATH first (a source build or a symlink), then Debian's versioned directories, newest first.
  private static Optional<Path> findBinDir() {
    List<Path> candidates = new ArrayList<>();
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty()) {
        candidates.add(Path.of(dir));
      }
    }
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      versions
          .sorted(Comparator.comparing(TestPostgres::majorVersion).reversed())
          .forEach(v -> candidates.add(v.resolve("bin")));
    } catch (IOException e) {
      // No Debian packages: PATH is all there is.
    }
    return candidates.stream()
        .filter(
            d -> Files.isExecutable(d.resolve("initdb")) && Files.isExecutable(d.resolve("pg_ctl")))
        .findFirst();
  }

  private static int majorVersion(Path dir) {
    try {
      return Integer.parseInt(dir.getFileName().toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static TestPostgres start(Path bin) {
    try {
      // initdb and postgres refuse to run as root: run them as the postgres user, which the Debian
      // package creates, owning the directory they write to.
      boolean root = "root".equals(System.getProperty("user.name"));
      Path dir = Files.createTempDirectory("callsign-pg-");
      if (root) {
        UserPrincipalLookupService users = dir.getFileSystem().getUserPrincipalLookupService();
        Files.setOwner(dir, users.lookupPrincipalByName(USER));
      }
      TestPostgres pg = new TestPostgres(dir, bin.resolve("pg_ctl"), freePort(), root);
      Path data = dir.resolve("data");
      pg.run(
          bin.resolve("initdb").toString(),
          "-D",
          data.toString(),
          "-U",
          USER,
          "--auth=trust",
          "--encoding=UTF8",
          "--locale=C.UTF-8",
          "--no-sync");
      pg.startServer();
      Runtime.getRuntime().addShutdownHook(new Thread(pg::close, "test-postgres-stop"));
      return pg;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the test PostgreSQL cluster", e);
    }
  }

  /** {@code pg_ctl start}, waiting until the server accepts connections, on the same port. */
  public void startServer() throws IOException {
    // fsync=off: the cluster is thrown away, durability would only cost time.
    run(
        pgCtl.toString(),
        "-D",
        root.resolve("data").toString(),
        "-l",
        root.resolve("postgres.log").toString(),
        "-o",
        "-p " + port + " -c listen_addresses=127.0.0.1 -k " + root + " -c fsync=off",
        "-w",
        "start");
  }

  /**
   * {@code pg_ctl stop -m fast}, waiting until the server is down: open sessions are terminated, as
   * when an operator stops the database.
   */
  public void stopServer() throws IOException {
    run(pgCtl.toString(), "-D", root.resolve("data").toString(), "-m", "fast", "-w", "stop");
  }

  /** Stops the server and removes the cluster's files. Idempotent. */
  @Override
  public synchronized void close() {
    if (removed) {
      return;
    }
    removed = true;
    try {
      run(pgCtl.toString(), "-D", root.resolve("data").toString(), "-m", "immediate", "stop");
    } catch (IOException | RuntimeException e) {
      System.err.println("test PostgreSQL: stop failed: " + e.getMessage());
    }
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("test PostgreSQL: cannot remove " + root + ": " + e.getMessage());
    }
  }

  private void run(String... command) throws IOException {
    List<String> cmd = new ArrayList<>();
    if (asPostgresUser) {
      cmd.addAll(List.of("runuser", "-u", USER, "--"));
    }
    cmd.addAll(List.of(command));
    Path out = Files.createTempFile("callsign-pg-cmd-", ".log");
    try {
      Process p =
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(out.toFile())
              // Not inside the temp dir: the postgres user may not be able to enter the caller's
              // cwd.
              .directory(root.toFile())
              .start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + String.join(" ", cmd));
      }
      if (p.exitValue() != 0) {
        String log = Files.readString(out);
        Path serverLog = root.resolve("postgres.log");
        if (Files.exists(serverLog)) {
          log += "\n--- postgres.log ---\n" + Files.readString(serverLog);
        }
        throw new IllegalStateException(
            "failed (exit " + p.exitValue() + "): " + String.join(" ", cmd) + "\n" + log);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + String.join(" ", cmd), e);
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
