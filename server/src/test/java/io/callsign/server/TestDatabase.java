package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.flex.JdbiFlexStore;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The databases the server tests run against: each test class is parameterized by this enum, so the
 * same test code covers the embedded SQLite database and PostgreSQL.
 *
 * <p>A data directory stands for one server installation, so each distinct directory gets its own
 * database: with SQLite that is the file inside it, with PostgreSQL a fresh database in the shared
 * test cluster. Tests therefore stay independent, and a restart on the same directory sees the same
 * data.
 */
enum TestDatabase {
  SQLITE("SQLite") {
    @Override
    ServerConfig config(Path dir) {
      return TestServers.config(dir);
    }

    @Override
    Database open(Path dir) {
      return Database.sqlite(dir);
    }

    @Override
    String storedData(Path dir) {
      // The database file and its WAL/SHM companions, byte for byte.
      StringBuilder all = new StringBuilder();
      try (Stream<Path> s = Files.list(dir)) {
        List<Path> files =
            s.filter(p -> p.getFileName().toString().startsWith(Database.SQLITE_FILE)).toList();
        assertThat(files).as("SQLite files in " + dir).isNotEmpty();
        for (Path f : files) {
          all.append(new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return all.toString();
    }
  },

  POSTGRESQL("PostgreSQL") {
    private final Map<Path, DatabaseConfig> databases = new ConcurrentHashMap<>();

    @Override
    ServerConfig config(Path dir) {
      return TestServers.config(dir).withDatabase(database(dir));
    }

    @Override
    Database open(Path dir) {
      return Database.postgresql(database(dir));
    }

    @Override
    String storedData(Path dir) {
      // What a dump would hold: every row of every table, as PostgreSQL renders it in text.
      String url = database(dir).url();
      String name = url.substring(url.lastIndexOf('/') + 1);
      StringBuilder all = new StringBuilder();
      try (Connection c = cluster().connect(name);
          Statement s = c.createStatement()) {
        List<String> tables = new ArrayList<>();
        try (ResultSet rs =
            s.executeQuery(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")) {
          while (rs.next()) {
            tables.add(rs.getString(1));
          }
        }
        assertThat(tables).as("tables in " + name).contains("accounts", "api_keys");
        for (String table : tables) {
          try (ResultSet rs = s.executeQuery("SELECT t::text FROM \"" + table + "\" t")) {
            while (rs.next()) {
              all.append(rs.getString(1)).append('\n');
            }
          }
        }
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
      return all.toString();
    }

    private DatabaseConfig database(Path dir) {
      TestPostgres pg = cluster();
      return databases.computeIfAbsent(
          dir.toAbsolutePath(),
          d -> new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null));
    }

    private TestPostgres cluster() {
      return TestPostgres.orSkip(TestPostgres.get());
    }
  };

  private final String label;

  TestDatabase(String label) {
    this.label = label;
  }

  /** A server config on an ephemeral loopback port, keeping its files in {@code dir}. */
  abstract ServerConfig config(Path dir);

  /** The database of the installation in {@code dir}, opened beside its server. */
  abstract Database open(Path dir);

  /** The stored data of the installation in {@code dir}, as someone copying it would see it. */
  abstract String storedData(Path dir);

  /**
   * Inserts another main account, unrelated to the root account, beside the server running on
   * {@code dir} (as an operator would: no API creates main accounts), with its Flex instance.
   */
  AccountSid insertMainAccount(Path dir, String authToken) throws IOException {
    AccountSid sid = AccountSid.random();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = open(dir)) {
      JdbiFlexStore flex = new JdbiFlexStore(database.jdbi(), box);
      new JdbiAccountStore(
              database.jdbi(), box, (h, a) -> flex.insertInstanceFor(h, a.sid(), a.dateCreated()))
          .insert(
              new Account(
                  sid, sid, "Other", AccountStatus.ACTIVE, Account.TYPE_FULL, authToken, now, now));
    }
    return sid;
  }

  /** Asserts that no secret appears in the stored data, neither as text nor hex-encoded. */
  void assertStoredDataLacks(Path dir, List<String> secrets) {
    String data = storedData(dir);
    for (String secret : secrets) {
      String hex = HexFormat.of().formatHex(secret.getBytes(StandardCharsets.UTF_8));
      assertThat(data).as(label + " data of " + dir).doesNotContain(secret).doesNotContain(hex);
    }
  }

  @Override
  public String toString() {
    return label;
  }
}
