package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.server.accounts.AccountService;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.store.Database;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The first start: root account, credentials.env, master keyset, and what a restart keeps. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class BootstrapTest {
  @Parameter TestDatabase db;

  private static final String SID = "AC" + "fedcba9876543210".repeat(2);
  private static final String TOKEN = "0123456789abcdef0123456789abcdef";

  @TempDir Path dir;

  private static Map<String, String> readEnvFile(Path file) throws IOException {
    Map<String, String> vars = new HashMap<>();
    for (String line : Files.readAllLines(file)) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        vars.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return vars;
  }

  private static String mode(Path file) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
  }

  @Test
  void firstStartWhenNoEnvironmentThenWritesGeneratedCredentialsWithMode0600() throws Exception {
    Path file = dir.resolve(AccountService.CREDENTIALS_FILE);
    try (CallsignServer server = new CallsignServer(db.config(dir))) {
      int port = server.start();
      assertThat(server.credentialsFile()).isEqualTo(file);
      assertThat(mode(file)).isEqualTo("rw-------");
      Map<String, String> vars = readEnvFile(file);
      assertThat(vars.get("TWILIO_ACCOUNT_SID")).matches("AC[0-9a-f]{32}");
      assertThat(vars.get("TWILIO_AUTH_TOKEN")).matches("[0-9a-f]{32}");

      String sid = vars.get("TWILIO_ACCOUNT_SID");
      assertThat(
              get(
                      port,
                      "/2010-04-01/Accounts/" + sid + ".json",
                      basic(sid, vars.get("TWILIO_AUTH_TOKEN")))
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void restartOnSameDataDirThenSameCredentialsAuthenticateAndFileIsNotRewritten() throws Exception {
    Path file = dir.resolve(AccountService.CREDENTIALS_FILE);
    new CallsignServer(db.config(dir)).close();
    String before = Files.readString(file);
    FileTime written = FileTime.fromMillis(1_000_000_000_000L);
    Files.setLastModifiedTime(file, written);

    try (CallsignServer server = new CallsignServer(db.config(dir))) {
      int port = server.start();
      assertThat(Files.readString(file)).isEqualTo(before);
      assertThat(Files.getLastModifiedTime(file)).isEqualTo(written);
      Map<String, String> vars = readEnvFile(file);
      String sid = vars.get("TWILIO_ACCOUNT_SID");
      assertThat(
              get(
                      port,
                      "/2010-04-01/Accounts/" + sid + ".json",
                      basic(sid, vars.get("TWILIO_AUTH_TOKEN")))
                  .statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void firstStartWhenEnvironmentGivesCredentialsThenUsesThemAndWritesNoFile() throws Exception {
    ServerConfig cfg = db.config(dir).withRootCredentials(SID, TOKEN);
    try (CallsignServer server = new CallsignServer(cfg)) {
      int port = server.start();
      assertThat(server.credentialsFile()).isNull();
      assertThat(dir.resolve(AccountService.CREDENTIALS_FILE)).doesNotExist();
      assertThat(get(port, "/2010-04-01/Accounts/" + SID + ".json", basic(SID, TOKEN)).statusCode())
          .isEqualTo(200);
    }
  }

  @Test
  void firstStartWhenEnvironmentSidMalformedThenRefusesWithClearMessage() {
    ServerConfig cfg = db.config(dir).withRootCredentials("AC123", TOKEN);
    assertThatThrownBy(() -> new CallsignServer(cfg))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CALLSIGN_ACCOUNT_SID")
        .hasMessageContaining("AC followed by 32 hex digits");
  }

  @Test
  void firstStartWhenEnvironmentTokenTooShortThenRefusesWithoutEchoingIt() {
    String shortToken = "s3cret-but-short";
    ServerConfig cfg = db.config(dir).withRootCredentials(SID, shortToken);
    assertThatThrownBy(() -> new CallsignServer(cfg))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CALLSIGN_AUTH_TOKEN")
        .hasMessageContaining("at least 32 characters")
        .message()
        .doesNotContain(shortToken);
  }

  @Test
  void firstStartWhenEnvironmentTokenHasWhitespaceThenRefuses() {
    ServerConfig cfg = db.config(dir).withRootCredentials(SID, TOKEN + " \n");
    assertThatThrownBy(() -> new CallsignServer(cfg))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CALLSIGN_AUTH_TOKEN");
  }

  @Test
  void firstStartWhenOnlyOneVariableSetThenRefuses() {
    ServerConfig cfg = db.config(dir).withRootCredentials(SID, null);
    assertThatThrownBy(() -> new CallsignServer(cfg))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("set both CALLSIGN_ACCOUNT_SID and CALLSIGN_AUTH_TOKEN");
  }

  @Test
  void restartWhenEnvironmentNamesAnotherAccountThenRefuses() {
    new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN)).close();
    String other = "AC" + "1".repeat(32);
    ServerConfig cfg = db.config(dir).withRootCredentials(other, TOKEN);
    assertThatThrownBy(() -> new CallsignServer(cfg))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(SID)
        .hasMessageContaining(other);
  }

  @Test
  void storedDataWhenAccountStoredThenHoldsNoAuthTokenInClear() throws Exception {
    try (CallsignServer server =
        new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN))) {
      server.start();
      db.assertStoredDataLacks(dir, List.of(TOKEN));
    }
    // After a clean stop the SQLite WAL is checkpointed into the main file: check that too.
    db.assertStoredDataLacks(dir, List.of(TOKEN));
    // The SQLite file exists exactly when SQLite is in use: the PostgreSQL variant really used it.
    assertThat(Files.exists(dir.resolve(Database.SQLITE_FILE)))
        .isEqualTo(db == TestDatabase.SQLITE);
  }

  @Test
  void masterKeysetWhenGeneratedThenHasMode0600() throws Exception {
    new CallsignServer(db.config(dir)).close();
    Path keyset = dir.resolve(SecretBox.KEYSET_FILE);
    assertThat(mode(keyset)).isEqualTo("rw-------");
    assertThat(Files.readString(keyset)).contains("primaryKeyId");
  }

  @Test
  void restartWhenMasterKeysetReplacedThenRefusesToStart() throws Exception {
    new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN)).close();
    Path other = Files.createDirectory(dir.resolve("other"));
    new CallsignServer(db.config(other)).close();
    Files.copy(
        other.resolve(SecretBox.KEYSET_FILE),
        dir.resolve(SecretBox.KEYSET_FILE),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    assertThatThrownBy(() -> new CallsignServer(db.config(dir)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("master keyset");
  }

  @Test
  void startWhenMasterKeysetVariableIsNotAKeysetThenRefusesWithoutEchoingIt() {
    ServerConfig cfg =
        new ServerConfig(
            "127.0.0.1", 0, dir, db.config(dir).database(), null, null, "{\"not\":\"a keyset\"}");
    assertThatThrownBy(() -> new CallsignServer(cfg))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("CALLSIGN_MASTER_KEYSET")
        .message()
        .doesNotContain("a keyset\"");
  }

  @Test
  void startWhenMasterKeysetVariableGivenThenWritesNoKeysetFile() throws Exception {
    Path seed = Files.createDirectory(dir.resolve("seed"));
    new CallsignServer(db.config(seed)).close();
    String keyset = Files.readString(seed.resolve(SecretBox.KEYSET_FILE));
    Path data = dir.resolve("data");
    ServerConfig cfg =
        new ServerConfig("127.0.0.1", 0, data, db.config(data).database(), SID, TOKEN, keyset);

    new CallsignServer(cfg).close();
    try (CallsignServer again = new CallsignServer(cfg)) {
      assertThat(again.bootstrap().root().authToken()).isEqualTo(TOKEN);
    }
    assertThat(data.resolve(SecretBox.KEYSET_FILE)).doesNotExist();
  }
}
