package io.callsign.server;

import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Callsign server in a JVM of its own, for tests that signal or kill the process. {@link #main}
 * mirrors the CLI's {@code serve} command (which server tests cannot depend on): start, then a
 * shutdown hook that stops the server; the root credentials come from the environment as there.
 * {@link #launch} starts it from a test.
 */
final class ServerProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ServerProcess.class);

  /** The line the child prints once it serves. */
  private static final Pattern LISTENING =
      Pattern.compile("ServerProcess listening on port (\\d+)\n");

  /** The line the child prints once the shutdown hook's stop has returned. */
  static final String STOPPED = "ServerProcess stopped";

  private final Process process;
  private final int port;
  private final Path log;

  private ServerProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Arguments: the data directory, then optionally a {@code jdbc:postgresql:} URL (user {@link
   * TestPostgres#USER}); listens on an ephemeral loopback port, which it prints.
   */
  public static void main(String[] args) throws InterruptedException {
    ServerConfig cfg =
        ServerConfig.defaults(System.getenv())
            .withListen("127.0.0.1", 0)
            .withDataDir(Path.of(args[0]));
    if (args.length > 1) {
      cfg = cfg.withDatabase(new DatabaseConfig(args[1], TestPostgres.USER, null));
    }
    CallsignServer server = new CallsignServer(cfg);
    int port = server.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  LOG.info("Shutting down: draining in-flight requests");
                  server.stop();
                  System.out.println(STOPPED);
                  stopped.countDown();
                },
                "callsign-shutdown"));
    System.out.println("ServerProcess listening on port " + port);
    stopped.await();
  }

  /**
   * Starts {@link #main} in a new JVM (this JVM's java and class path) with {@code env} added to
   * this process's environment, and waits until it serves.
   */
  static ServerProcess launch(Path dataDir, String jdbcUrl, Map<String, String> env)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    // As surefire runs the tests (sqlite-jdbc loads native code); C1 only, for a quicker start.
    cmd.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:TieredStopAtLevel=1"));
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path")));
    cmd.add(ServerProcess.class.getName());
    cmd.add(dataDir.toString());
    if (jdbcUrl != null) {
      cmd.add(jdbcUrl);
    }
    // To a file, not a pipe: Process.destroy() closes the pipes, and the output of the shutdown is
    // what the tests look at.
    Path log = Files.createTempFile("callsign-server-process-", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(env);
    Process process = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      Matcher m = LISTENING.matcher(read(log));
      if (m.find()) {
        return new ServerProcess(process, Integer.parseInt(m.group(1)), log);
      }
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("server process did not start:\n" + read(log));
      }
      Thread.sleep(20);
    }
  }

  private static String read(Path log) throws IOException {
    // Leniently: the last character may be half written.
    return new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
  }

  int port() {
    return port;
  }

  Process process() {
    return process;
  }

  /** Everything the process printed so far (stdout and stderr). */
  String output() throws IOException {
    return read(log);
  }

  /** Waits until the process has exited; false on timeout. */
  boolean awaitExit(long timeout, TimeUnit unit) throws InterruptedException {
    return process.waitFor(timeout, unit);
  }

  /** Kills the process if it still runs, waits for it to be gone, and deletes its output. */
  @Override
  public void close() throws IOException {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    Files.deleteIfExists(log);
  }
}
