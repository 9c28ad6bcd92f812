package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.store.Database;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a rolling upgrade of a cluster relies on (docs/operations.md): a node of the previous
 * release, starting while a new node has already migrated the shared PostgreSQL schema, accepts the
 * newer schema; and no migration drops or renames anything the previous release still uses.
 */
class RollingUpgradeTest {
  private static final String LOCATION = "db/migration/postgresql";
  private static final Pattern VERSION = Pattern.compile("^V(\\d+)__.*\\.sql$");
  // What would break a node of the previous release still running against the migrated schema.
  private static final Pattern NOT_ADDITIVE =
      Pattern.compile(
          "\\b(DROP\\s+(TABLE|COLUMN|INDEX|TRIGGER|FUNCTION)|RENAME|ALTER\\s+COLUMN)\\b");

  @TempDir Path dir;

  private static List<Path> migrations() throws Exception {
    URL url = RollingUpgradeTest.class.getClassLoader().getResource(LOCATION);
    assertThat(url).as(LOCATION + " on the class path").isNotNull();
    try (Stream<Path> files = Files.list(Path.of(url.toURI()))) {
      return files
          .filter(f -> VERSION.matcher(f.getFileName().toString()).matches())
          .sorted(Comparator.comparingInt(RollingUpgradeTest::version))
          .toList();
    }
  }

  private static int version(Path migration) {
    Matcher m = VERSION.matcher(migration.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  @Test
  void aNodeOfThePreviousReleaseStartsAgainstTheMigratedSchema() throws Exception {
    List<Path> all = migrations();
    assertThat(all).hasSizeGreaterThan(1);
    // The previous release: every migration but the newest.
    for (Path m : all.subList(0, all.size() - 1)) {
      Files.copy(m, dir.resolve(m.getFileName()));
    }
    TestPostgres pg = TestPostgres.orSkip(TestPostgres.get());
    try (Database current =
        Database.postgresql(new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null))) {
      current.migrate();

      MigrateResult previous =
          Flyway.configure()
              .dataSource(current.dataSource())
              .locations("filesystem:" + dir)
              .load()
              .migrate();

      assertThat(previous.success).isTrue();
      assertThat(previous.migrationsExecuted).isZero();
      assertThat(current.isReady()).isTrue();
    }
  }

  @Test
  void everyMigrationOnlyAddsToTheSchema() throws Exception {
    for (Path m : migrations()) {
      String sql = Files.readString(m).replaceAll("--[^\n]*", "").toUpperCase(Locale.ROOT);
      assertThat(NOT_ADDITIVE.matcher(sql).find())
          .as(
              m.getFileName()
                  + " drops or renames: nodes of the previous release break during a rolling"
                  + " upgrade; say so in docs/operations.md and the release notes, then allow it"
                  + " here")
          .isFalse();
    }
  }
}
