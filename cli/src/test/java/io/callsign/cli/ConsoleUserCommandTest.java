package io.callsign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.CallsignServer;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleUserCommandTest {
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(32);

  @TempDir Path dir;

  private ServerConfig config() {
    return ServerConfig.defaults(Map.of())
        .withListen("127.0.0.1", 0)
        .withDataDir(dir)
        .withRootCredentials(SID, TOKEN);
  }

  /** A stopped installation in {@code dir}. */
  @BeforeEach
  void installation() {
    new CallsignServer(config()).close();
  }

  @Test
  void addPrintsAOneTimeSignUpLinkThatTheServerOpens() throws Exception {
    CliRun run =
        CliRun.of(
            "console-user",
            "add",
            "--data",
            dir.toString(),
            "--email",
            "Ana@Example.com",
            "--url",
            "https://callsign.example.com/");

    assertThat(run.status()).as(run.err()).isZero();
    Map<String, Object> out = run.json();
    assertThat(out.get("account_sid")).isEqualTo(SID);
    assertThat(out.get("sid").toString()).matches("US[0-9a-f]{32}");
    assertThat(out.get("password_set")).isEqualTo(false);
    String link = out.get("sign_up_url").toString();
    assertThat(link).matches("https://callsign\\.example\\.com/console/sign-up/[A-Za-z0-9_-]{43}");
    try (CallsignServer server = new CallsignServer(config());
        HttpClient http = HttpClient.newHttpClient()) {
      int port = server.start();
      String path = URI.create(link).getPath();
      HttpResponse<String> page =
          http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("Ana@Example.com");
    }
  }

  @Test
  void addWhenTheAddressHasAUserThenExitsOneAndSaysSo() {
    assertThat(add("ana@example.com").status()).isZero();

    CliRun again = add("ANA@example.com");

    assertThat(again.status()).isEqualTo(1);
    assertThat(again.err()).contains("a console user with this address exists");
  }

  @Test
  void addWhenTheAddressIsMalformedThenExitsOne() {
    CliRun run = add("not an address");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.err()).contains("Email");
  }

  @Test
  void addWithPasswordStdinSetsThePasswordAndPrintsNoLink() {
    InputStream stdin = System.in;
    try {
      System.setIn(
          new ByteArrayInputStream("a long enough passphrase\n".getBytes(StandardCharsets.UTF_8)));
      CliRun run =
          CliRun.of(
              "console-user",
              "add",
              "--data",
              dir.toString(),
              "--email",
              "ops@example.com",
              "--password-stdin");

      assertThat(run.status()).as(run.err()).isZero();
      assertThat(run.json()).containsEntry("password_set", true).doesNotContainKey("sign_up_url");
      assertThat(run.out()).doesNotContain("a long enough passphrase");
    } finally {
      System.setIn(stdin);
    }
  }

  @Test
  void listShowsTheAccountsUsersAndTheAdditionIsAudited() {
    add("ana@example.com");
    add("bo@example.com");

    CliRun list = CliRun.of("console-user", "list", "--data", dir.toString());
    CliRun audit = CliRun.of("audit", "export", "--data", dir.toString());

    assertThat(list.status()).as(list.err()).isZero();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> users = (List<Map<String, Object>>) list.json().get("console_users");
    assertThat(users)
        .extracting(u -> u.get("email"))
        .containsExactly("ana@example.com", "bo@example.com");
    assertThat(audit.out()).contains("console-user.created").doesNotContain("sign-up/");
  }

  @Test
  void addWhenTheMasterKeysetIsMissingThenRefusesRatherThanMakeANewOne() throws Exception {
    Files.delete(dir.resolve(SecretBox.KEYSET_FILE));

    CliRun run = add("ana@example.com");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("no master keyset");
    assertThat(dir.resolve(SecretBox.KEYSET_FILE)).doesNotExist();
  }

  private CliRun add(String email) {
    return CliRun.of("console-user", "add", "--data", dir.toString(), "--email", email);
  }
}
