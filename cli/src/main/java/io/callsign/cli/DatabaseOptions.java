package io.callsign.cli;

import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import java.nio.file.Path;
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

  /** The PostgreSQL configuration, or {@code null} for SQLite in the data directory. */
  DatabaseConfig database() {
    return databaseUrl == null
        ? null
        : new DatabaseConfig(databaseUrl, databaseUser, databasePassword);
  }
}
