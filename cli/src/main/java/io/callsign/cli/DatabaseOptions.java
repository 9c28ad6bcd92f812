package io.callsign.cli;

import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.store.Database;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** Where an installation keeps its data: the options {@code serve} and the admin tools share. */
final class DatabaseOptions {
  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Data directory (default: ${DEFAULT-VALUE}).")
  Path dataDir = ServerConfig.DEFAULT_DATA_DIR;

  @Option(
      names = "--database-url",
      paramLabel = "URL",
      description = "A jdbc:postgresql:// URL; without it, SQLite in the data directory.")
  String databaseUrl;

  @Option(
      names = "--database-user",
      paramLabel = "USER",
      defaultValue = "${env:CALLSIGN_DATABASE_USER}",
      description = "Database user (default: env CALLSIGN_DATABASE_USER).")
  String databaseUser;

  // The environment variable is the better place: a flag shows up in `ps` and shell history.
  @Option(
      names = "--database-password",
      paramLabel = "PASSWORD",
      defaultValue = "${env:CALLSIGN_DATABASE_PASSWORD}",
      description = "Database password (default: env CALLSIGN_DATABASE_PASSWORD, preferred).")
  String databasePassword;

  /**
   * Opens the installation's database (not migrated).
   *
   * @throws CommandLine.ParameterException when there is no SQLite database in the data directory
   *     and no PostgreSQL URL was given
   */
  Database open(CommandSpec spec) {
    if (databaseUrl == null && !Files.exists(dataDir.resolve(Database.SQLITE_FILE))) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "no Callsign database in "
              + dataDir
              + " (give the server's --data directory, or --database-url)");
    }
    return databaseUrl == null ? Database.sqlite(dataDir) : Database.postgresql(database());
  }

  /** The PostgreSQL configuration, or {@code null} for SQLite in the data directory. */
  DatabaseConfig database() {
    return databaseUrl == null
        ? null
        : new DatabaseConfig(databaseUrl, databaseUser, databasePassword);
  }
}
