package io.callsign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenCommandTest {
  private final String account = AccountSid.random().value();
  private final String key = KeySid.random().value();
  private final String secret = "cli-test-secret-" + KeySid.random().value();

  private String mint(String... extra) {
    String[] base = {
      "token",
      "mint",
      "--account-sid",
      account,
      "--key-sid",
      key,
      "--secret",
      secret,
      "--identity",
      "alice"
    };
    String[] args = new String[base.length + extra.length];
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(extra, 0, args, base.length, extra.length);
    CliRun run = CliRun.of(args);
    assertThat(run.status()).as(run.err()).isZero();
    return run.out().strip();
  }

  @Test
  void mintWhenGrantsGivenThenPrintsJwtThatVerifies() {
    String jwt =
        mint(
            "--ttl", "600",
            "--grant", "video:room=standup",
            "--grant",
                "voice:outgoing_application_sid=AP"
                    + "1".repeat(32)
                    + ",incoming_allow=true,outgoing_params.queue=vip");

    CliRun run = CliRun.of("token", "verify", "--secret", secret, "--account-sid", account, jwt);

    assertThat(jwt.split("\\.")).hasSize(3);
    assertThat(run.status()).isZero();
    Map<String, Object> out = run.json();
    assertThat(out).containsEntry("valid", true);
    @SuppressWarnings("unchecked")
    Map<String, Object> claims = (Map<String, Object>) out.get("claims");
    assertThat(claims).containsEntry("iss", key).containsEntry("sub", account);
    assertThat(claims.get("grants"))
        .isEqualTo(
            Map.of(
                "identity", "alice",
                "video", Map.of("room", "standup"),
                "voice",
                    Map.of(
                        "incoming", Map.of("allow", true),
                        "outgoing",
                            Map.of(
                                "application_sid",
                                "AP" + "1".repeat(32),
                                "params",
                                Map.of("queue", "vip")))));
  }

  @Test
  void mintWhenJsonRequestedThenPrintsTokenHeaderAndClaims() {
    Map<String, Object> out =
        io.callsign.tokens.internal.Json.parseObject(mint("--json", "--region", "ie1"));

    assertThat(out).containsKeys("token", "header", "claims");
    assertThat(out.get("header"))
        .isEqualTo(Map.of("alg", "HS256", "typ", "JWT", "cty", "twilio-fpa;v=1", "twr", "ie1"));
  }

  @Test
  void verifyWhenSecretFromFileThenAccepts(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("secret");
    Files.writeString(file, secret + "\n");

    CliRun run = CliRun.of("token", "verify", "--secret-file", file.toString(), mint());

    assertThat(run.status()).isZero();
  }

  @Test
  void verifyWhenWrongSecretThenPrintsCode20107AndExits1() {
    CliRun run = CliRun.of("token", "verify", "--secret", secret + "x", mint());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.json()).containsEntry("valid", false).containsEntry("code", 20107L);
    assertThat(run.out()).doesNotContain(secret);
  }

  @Test
  void verifyWhenOtherAccountRequiredThenPrintsCode20103() {
    CliRun run =
        CliRun.of(
            "token",
            "verify",
            "--secret",
            secret,
            "--account-sid",
            AccountSid.random().value(),
            mint());

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.json()).containsEntry("code", 20103L);
  }

  @Test
  void verifyWhenGarbageThenPrintsCode20101() {
    CliRun run = CliRun.of("token", "verify", "--secret", secret, "not.a.token");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.json()).containsEntry("valid", false).containsKey("message");
  }

  @Test
  void verifyWhenExpiredThenPrintsCode20104() {
    String expired =
        new io.callsign.tokens.AccessToken.Builder(account, key, secret)
            .clock(
                java.time.Clock.offset(java.time.Clock.systemUTC(), java.time.Duration.ofHours(-2)))
            .ttl(60)
            .build()
            .toJwt();

    CliRun run = CliRun.of("token", "verify", "--secret", secret, expired);

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.json()).containsEntry("code", 20104L);
  }

  @Test
  void verifyWhenTokenFromStdinMarkerMissingThenReadsArgumentAsIs() {
    CliRun run = CliRun.of("token", "verify", "--secret", secret, "  " + mint() + "\n");

    assertThat(run.status()).isZero();
  }

  @Test
  void verifyWhenPlainJwtWithoutTwilioCtyThenPrintsCode20102() {
    String plain =
        io.callsign.tokens.Jwt.encode(
            Map.of("iss", key, "sub", account),
            secret.getBytes(java.nio.charset.StandardCharsets.UTF_8));

    CliRun run = CliRun.of("token", "verify", "--secret", secret, plain);

    assertThat(run.json()).containsEntry("code", 20102L);
  }

  @Test
  void decodeWhenTokenGivenThenPrintsClaimsLabelledUnverified() {
    CliRun run = CliRun.of("token", "decode", mint());

    assertThat(run.status()).isZero();
    assertThat(run.json())
        .containsEntry("verified", false)
        .containsKeys("warning", "header", "claims");
  }

  @Test
  void decodeWhenGarbageThenExits1WithMessageOnStderr() {
    CliRun run = CliRun.of("token", "decode", "garbage");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.out()).isEmpty();
    assertThat(run.err()).contains("cannot decode");
  }

  @Test
  void mintWhenTtlAbove24HoursThenUsageErrorNamingTheLimit() {
    CliRun run =
        CliRun.of(
            "token",
            "mint",
            "--account-sid",
            account,
            "--key-sid",
            key,
            "--secret",
            secret,
            "--ttl",
            "86401");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("86400");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void mintWhenSecretShortThenUsageError() {
    CliRun run =
        CliRun.of("token", "mint", "--account-sid", account, "--key-sid", key, "--secret", "short");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("at least 32 bytes").doesNotContain("short\n");
  }

  @Test
  void mintWhenGrantFieldUnknownThenUsageErrorListingKnownFields() {
    CliRun run =
        CliRun.of(
            "token",
            "mint",
            "--account-sid",
            account,
            "--key-sid",
            key,
            "--secret",
            secret,
            "--grant",
            "video:rom=1");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("unknown video field 'rom'; known: room");
  }

  @Test
  void mintWhenGrantKindUnknownThenUsageError() {
    CliRun run =
        CliRun.of(
            "token",
            "mint",
            "--account-sid",
            account,
            "--key-sid",
            key,
            "--secret",
            secret,
            "--grant",
            "fax:x=1");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("unknown grant kind 'fax'");
  }

  @Test
  void mintWhenAccountSidMalformedThenUsageError() {
    CliRun run =
        CliRun.of("token", "mint", "--account-sid", "AC123", "--key-sid", key, "--secret", secret);

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("AC followed by 32 hex digits");
  }

  @Test
  void mintWhenSecretMissingThenUsageError() {
    CliRun run = CliRun.of("token", "mint", "--account-sid", account, "--key-sid", key);

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("--secret");
  }
}
