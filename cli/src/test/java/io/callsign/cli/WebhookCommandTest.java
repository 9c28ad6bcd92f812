package io.callsign.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WebhookCommandTest {
  // The published vector: twilio-wire.md section 8.5 (from twilio-java's own tests).
  private static final String TOKEN = "12345";
  private static final String URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
  private static final String[] PARAMS = {
    "--param", "Digits=1234",
    "--param", "CallSid=CA1234567890ABCDE",
    "--param", "To=+18005551212",
    "--param", "Caller=+14158675309",
    "--param", "From=+14158675309"
  };

  private static String[] args(String[] head, String... tail) {
    String[] all = new String[head.length + PARAMS.length + tail.length];
    System.arraycopy(head, 0, all, 0, head.length);
    System.arraycopy(PARAMS, 0, all, head.length, PARAMS.length);
    System.arraycopy(tail, 0, all, head.length + PARAMS.length, tail.length);
    return all;
  }

  @Test
  void signWhenPublishedVectorThenPrintsItsSignature() {
    CliRun run =
        CliRun.of(args(new String[] {"webhook", "sign", "--auth-token", TOKEN, "--url", URL}));

    assertThat(run.status()).isZero();
    assertThat(run.out().strip()).isEqualTo("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  }

  @Test
  void validateWhenSignatureMatchesThenExits0() {
    CliRun run =
        CliRun.of(
            args(
                new String[] {"webhook", "validate", "--auth-token", TOKEN, "--url", URL},
                "--signature",
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

    assertThat(run.status()).isZero();
    assertThat(run.json()).containsEntry("valid", true);
  }

  @Test
  void validateWhenPortAddedThenStillValid() {
    String withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2";
    CliRun run =
        CliRun.of(
            args(
                new String[] {"webhook", "validate", "--auth-token", TOKEN, "--url", withPort},
                "--signature",
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

    assertThat(run.status()).isZero();
  }

  @Test
  void validateWhenParamChangedThenExits1() {
    CliRun run =
        CliRun.of(
            "webhook",
            "validate",
            "--auth-token",
            TOKEN,
            "--url",
            URL,
            "--param",
            "Digits=9999",
            "--signature",
            "RSOYDt4T1cUTdK1PDd93/VVr8B8=");

    assertThat(run.status()).isEqualTo(1);
    assertThat(run.json()).containsEntry("valid", false);
  }

  @Test
  void validateWhenWrongTokenThenExits1() {
    CliRun run =
        CliRun.of(
            args(
                new String[] {"webhook", "validate", "--auth-token", "54321", "--url", URL},
                "--signature",
                "RSOYDt4T1cUTdK1PDd93/VVr8B8="));

    assertThat(run.status()).isEqualTo(1);
  }

  @Test
  void signWhenJsonBodyThenUrlGetsBodyHashAndValidateAccepts(@TempDir Path dir) throws Exception {
    Path body = dir.resolve("body.json");
    Files.writeString(body, "{\"property\": \"value\", \"boolean\": true}");

    CliRun signed =
        CliRun.of(
            "webhook",
            "sign",
            "--auth-token",
            TOKEN,
            "--url",
            URL,
            "--body",
            body.toString(),
            "--json");
    String signedUrl = (String) signed.json().get("url");
    String signature = (String) signed.json().get("signature");
    CliRun validated =
        CliRun.of(
            "webhook",
            "validate",
            "--auth-token",
            TOKEN,
            "--url",
            signedUrl,
            "--body",
            body.toString(),
            "--signature",
            signature);

    assertThat(signedUrl)
        .endsWith("&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620");
    assertThat(signature).isEqualTo("a9nBmqA0ju/hNViExpshrM61xv4=");
    assertThat(validated.status()).isZero();
  }

  @Test
  void validateWhenBodyChangedThenExits1(@TempDir Path dir) throws Exception {
    Path body = dir.resolve("body.json");
    Files.writeString(body, "{\"property\": \"other\", \"boolean\": true}");
    String url =
        URL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    CliRun run =
        CliRun.of(
            "webhook",
            "validate",
            "--auth-token",
            TOKEN,
            "--url",
            url,
            "--body",
            body.toString(),
            "--signature",
            "a9nBmqA0ju/hNViExpshrM61xv4=");

    assertThat(run.status()).isEqualTo(1);
  }

  @Test
  void signWhenAuthTokenFromFileThenSameSignature(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("token");
    Files.writeString(file, TOKEN + "\n");

    CliRun run =
        CliRun.of(
            args(
                new String[] {
                  "webhook", "sign", "--auth-token-file", file.toString(), "--url", URL
                }));

    assertThat(run.out().strip()).isEqualTo("RSOYDt4T1cUTdK1PDd93/VVr8B8=");
  }

  @Test
  void signWhenParamHasNoEqualsThenUsageError() {
    CliRun run =
        CliRun.of("webhook", "sign", "--auth-token", TOKEN, "--url", URL, "--param", "Digits");

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("NAME=VALUE");
  }

  @Test
  void signWhenBodyAndParamsBothGivenThenUsageError(@TempDir Path dir) throws Exception {
    Path body = dir.resolve("b.json");
    Files.writeString(body, "{}");

    CliRun run =
        CliRun.of(
            "webhook",
            "sign",
            "--auth-token",
            TOKEN,
            "--url",
            URL,
            "--param",
            "a=b",
            "--body",
            body.toString());

    assertThat(run.status()).isEqualTo(2);
  }

  @Test
  void validateWhenSignatureMissingThenUsageError() {
    CliRun run = CliRun.of("webhook", "validate", "--auth-token", TOKEN, "--url", URL);

    assertThat(run.status()).isEqualTo(2);
    assertThat(run.err()).contains("--signature");
  }

  @Test
  void signWhenAuthTokenMissingThenUsageError() {
    CliRun run = CliRun.of("webhook", "sign", "--url", URL);

    assertThat(run.status()).isEqualTo(2);
  }
}
