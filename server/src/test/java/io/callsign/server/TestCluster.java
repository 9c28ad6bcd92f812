package io.callsign.server;

import static io.callsign.server.TestServers.basic;

import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Several {@link CallsignServer} nodes in one JVM on one PostgreSQL database, configured as an
 * operator would: one master keyset and the root credentials given to every node through the
 * environment, a data directory each, one clock (so that tests can move time on all of them).
 * Started one after the other: the first migrates and creates the root account.
 */
final class TestCluster implements AutoCloseable {
  static final String SID = "AC" + "5ca1ab1e".repeat(4);
  static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  static final String ROOT = basic(SID, TOKEN);

  private final Path dir;
  private final DatabaseConfig database;
  private final String keyset;
  private final List<CallsignServer> nodes = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

  /** Starts {@code size} nodes on {@code database}, keeping their files under {@code dir}. */
  TestCluster(Path dir, DatabaseConfig database, Clock clock, int size) {
    this.dir = dir;
    this.database = database;
    try {
      // The operator generates one keyset and gives it to every node.
      Path keysetDir = Files.createDirectories(dir.resolve("keyset"));
      SecretBox.open(null, keysetDir);
      this.keyset = Files.readString(keysetDir.resolve(SecretBox.KEYSET_FILE));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      for (int i = 0; i < size; i++) {
        CallsignServer node = new CallsignServer(config(i), clock);
        nodes.add(node);
        ports.add(node.start());
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  private ServerConfig config(int i) {
    return ServerConfig.defaults(
            Map.of(
                "CALLSIGN_ACCOUNT_SID", SID,
                "CALLSIGN_AUTH_TOKEN", TOKEN,
                "CALLSIGN_MASTER_KEYSET", keyset))
        .withListen("127.0.0.1", 0)
        .withDataDir(dir.resolve("node-" + i))
        .withDatabase(database);
  }

  /** The port of node {@code i}. */
  int port(int i) {
    return ports.get(i);
  }

  /** Node {@code i}. */
  CallsignServer node(int i) {
    return nodes.get(i);
  }

  int size() {
    return nodes.size();
  }

  /** The name of the database the nodes share. */
  String databaseName() {
    return database.url().substring(database.url().lastIndexOf('/') + 1);
  }

  /** A client whose connections come from {@code source} (any 127.x.y.z address is loopback). */
  HttpClient from(String source) {
    return clients.computeIfAbsent(
        source,
        s -> {
          try {
            return HttpClient.newBuilder()
                .localAddress(InetAddress.getByName(s))
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
          } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  /** POSTs JSON {@code body} to {@code path} on node {@code i}, from {@code source}. */
  HttpResponse<String> postJson(int i, String source, String path, String auth, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port(i) + path))
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return from(source).send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Waits until every node answers {@code /readyz} with 200; fails after {@code bound}. */
  void awaitReady(Duration bound) throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    for (int port : ports) {
      while (true) {
        int status;
        try {
          status = TestServers.get(port, "/readyz", null).statusCode();
        } catch (IOException e) {
          status = -1;
        }
        if (status == 200) {
          break;
        }
        if (System.nanoTime() > deadline) {
          throw new AssertionError("node on port " + port + " not ready within " + bound);
        }
        Thread.sleep(100);
      }
    }
  }

  /** Stops every node. Idempotent. */
  @Override
  public void close() {
    clients.values().forEach(HttpClient::close);
    nodes.forEach(CallsignServer::stop);
  }
}
