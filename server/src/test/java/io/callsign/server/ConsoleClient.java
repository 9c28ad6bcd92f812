package io.callsign.server;

import io.callsign.server.console.Totp;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One browser, as far as the console can tell: its own cookies (kept by hand, because the JDK's
 * cookie manager will not send Secure cookies over plain HTTP the way browsers do for loopback),
 * the last page it saw, and the CSRF token in that page's forms.
 */
final class ConsoleClient {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private static final Pattern CSRF = Pattern.compile("name=\"csrf\" value=\"([A-Za-z0-9_-]+)\"");
  private static final Pattern SECRET = Pattern.compile("id=\"totp-secret\">([A-Z2-7 ]+)<");

  final Map<String, String> cookies = new LinkedHashMap<>();
  private final int port;
  HttpResponse<String> last;

  ConsoleClient(int port) {
    this.port = port;
  }

  HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return send(HttpRequest.newBuilder(uri(path)).GET());
  }

  /** Posts {@code form}, adding the CSRF token of the last page unless the form has one. */
  HttpResponse<String> post(String path, Map<String, String> form)
      throws IOException, InterruptedException {
    Map<String, String> body = new LinkedHashMap<>(form);
    if (!body.containsKey("csrf") && last != null) {
      String token = csrf();
      if (token != null) {
        body.put("csrf", token);
      }
    }
    return postRaw(path, body, Map.of());
  }

  HttpResponse<String> postRaw(String path, Map<String, String> form, Map<String, String> headers)
      throws IOException, InterruptedException {
    String encoded =
        form.entrySet().stream()
            .map(
                e ->
                    URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)
                        + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
            .collect(Collectors.joining("&"));
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(encoded));
    headers.forEach(b::header);
    return send(b);
  }

  /** Follows the redirect of the last answer, if it was one. */
  HttpResponse<String> follow() throws IOException, InterruptedException {
    while (last.statusCode() == 303 || last.statusCode() == 302) {
      get(last.headers().firstValue("Location").orElseThrow());
    }
    return last;
  }

  String csrf() {
    Matcher m = CSRF.matcher(last.body());
    return m.find() ? m.group(1) : null;
  }

  /** The TOTP seed shown on the enrolment page. */
  byte[] enrolmentSecret() {
    Matcher m = SECRET.matcher(last.body());
    if (!m.find()) {
      throw new AssertionError("no TOTP secret on the page: " + last.body());
    }
    return base32(m.group(1).replace(" ", ""));
  }

  static String code(byte[] secret, Instant at) {
    return Totp.code(secret, Totp.step(at));
  }

  /** The password step of a sign-in, in a browser without a session: ends on the next page. */
  HttpResponse<String> signInPassword(String email, String password)
      throws IOException, InterruptedException {
    cookies.remove(io.callsign.server.console.ConsoleRoutes.SESSION_COOKIE);
    get("/console/sign-in");
    post("/console/sign-in", Map.of("email", email, "password", password));
    return follow();
  }

  /** Signs in with a password, enrols or passes the second factor; returns the seed. */
  byte[] signInAndEnrol(String email, String password, MutableClock clock) throws Exception {
    signInPassword(email, password);
    byte[] secret = enrolmentSecret();
    post("/console/mfa/enrol", Map.of("code", code(secret, clock.instant())));
    if (last.statusCode() != 200 || !last.body().contains("recovery-codes")) {
      throw new AssertionError("enrolment failed: " + last.statusCode() + " " + last.body());
    }
    clock.advance(java.time.Duration.ofSeconds(30));
    return secret;
  }

  /** Signs in an enrolled user; the clock moves to a fresh TOTP step first. */
  HttpResponse<String> signIn(String email, String password, byte[] secret, MutableClock clock)
      throws Exception {
    signInPassword(email, password);
    clock.advance(java.time.Duration.ofSeconds(30));
    post("/console/mfa", Map.of("code", code(secret, clock.instant())));
    return follow();
  }

  static List<String> recoveryCodes(String body) {
    return Pattern.compile("<li><code>([a-z0-9-]{23})</code></li>")
        .matcher(body)
        .results()
        .map(r -> r.group(1))
        .toList();
  }

  private URI uri(String path) {
    return URI.create(path.startsWith("http") ? path : "http://127.0.0.1:" + port + path);
  }

  private HttpResponse<String> send(HttpRequest.Builder b)
      throws IOException, InterruptedException {
    if (!cookies.isEmpty()) {
      b.header(
          "Cookie",
          cookies.entrySet().stream()
              .map(e -> e.getKey() + "=" + e.getValue())
              .collect(Collectors.joining("; ")));
    }
    last = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    for (String set : last.headers().allValues("Set-Cookie")) {
      String pair = set.split(";", 2)[0];
      int eq = pair.indexOf('=');
      String name = pair.substring(0, eq);
      String value = pair.substring(eq + 1);
      if (value.isEmpty() || set.contains("Max-Age=0")) {
        cookies.remove(name);
      } else {
        cookies.put(name, value);
      }
    }
    return last;
  }

  /** RFC 4648 base32 (spaces ignored), as the enrolment page shows the seed. */
  static byte[] base32(String text) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    String clean = text.replace(" ", "");
    byte[] out = new byte[clean.length() * 5 / 8];
    int buffer = 0;
    int bits = 0;
    int i = 0;
    for (char c : clean.toCharArray()) {
      buffer = (buffer << 5) | alphabet.indexOf(c);
      bits += 5;
      if (bits >= 8) {
        out[i++] = (byte) (buffer >>> (bits - 8));
        bits -= 8;
      }
    }
    return out;
  }
}
