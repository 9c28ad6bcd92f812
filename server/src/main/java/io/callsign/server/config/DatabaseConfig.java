package io.callsign.server.config;

/**
 * An external PostgreSQL database.
 *
 * @param url a {@code jdbc:postgresql://} URL
 * @param user the user name, or {@code null} when the URL or the driver's defaults carry it
 * @param password the password, or {@code null}
 */
public record DatabaseConfig(String url, String user, String password) {

  /** Checks that {@code url} names PostgreSQL, the only external database supported. */
  public DatabaseConfig {
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "database URL must start with jdbc:postgresql: (SQLite needs no URL: it lives in the data"
              + " directory)");
    }
  }

  @Override
  public String toString() {
    return "DatabaseConfig[url=%s, user=%s, password=%s]"
        .formatted(
            // A JDBC URL may carry ?password=...: show only the part before the parameters.
            url.replaceFirst("\\?.*", "?***"), user, password == null ? null : "***");
  }
}
