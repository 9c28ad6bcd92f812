package io.callsign.tokens.webhook;

import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.LongStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Agreement with the official twilio-java {@code com.twilio.security.RequestValidator} (13.0.1) on
 * generated requests, in both directions.
 *
 * <p>One known, deliberate difference: twilio-java builds its port variants with {@code new
 * URI(scheme, userInfo, host, port, path, query, fragment)}, which percent-decodes the path and
 * query and re-encodes only characters illegal there. A URL holding an escape of a legal character
 * ({@code %41}, {@code %26}, {@code %C3%A9}, ...) therefore loses it in twilio-java's variant, and
 * twilio-java rejects a signature over the port variant of the URL Twilio actually requested. This
 * library (like twilio-node) edits the port as text and accepts it. Cases using such escapes are
 * generated on purpose and marked {@code lossy}.
 */
class TwilioJavaCompatibilityTest {
  private static final int CASES = 1000;

  private static final String[] HOSTS = {
    "example.com",
    "Example.COM",
    "api.callsign.test",
    "a-b.c.example",
    "127.0.0.1",
    "localhost",
    "[::1]",
    "[2001:db8::7]"
  };
  private static final String[] NON_DEFAULT_PORTS = {":8080", ":8443", ":1", ":3000", ":65535"};
  private static final String PATH_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
  private static final String QUERY_CHARS =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$'()*+,;:@/?";
  // Escapes of characters java.net.URI must re-escape, so its rebuilt URL keeps them as they were.
  private static final String[] KEPT_ESCAPES = {
    "%20", "%25", "%22", "%3C", "%3E", "%5C", "%5E", "%60", "%7B", "%7C", "%7D", "%23"
  };
  // Escapes of characters legal where they stand, which java.net.URI's rebuilt URL decodes.
  private static final String[] LOSSY_ESCAPES = {
    "%41", "%26", "%3D", "%2B", "%2F", "%3B", "%40", "%7E", "%2a", "%C3%A9", "%F0%9F%98%80"
  };
  // Raw non-ASCII that java.net.URI accepts and keeps ("other" characters).
  private static final String[] RAW_UNICODE = {"\u00e9", "\u4e2d", "\ud83d\ude00"};
  private static final String[] TEXT_UNICODE = {
    "\u00e9",
    "\u00df",
    "\u4e2d",
    "\u2211",
    "\u20ac",
    "\u00a0",
    "\u2028",
    "\ue000",
    "\uffff",
    "\ud83d\ude00",
    "\ud834\udd1e",
    "\u0000",
    "\t",
    "\n"
  };
  private static final String[] TEXT_SPECIAL = {
    "&", "=", "+", "%", ";", " ", "?", "#", "/", "%20", "%%", "\\", "\""
  };
  private static final String[] NAMES = {
    "CallSid", "AccountSid", "From", "To", "Body", "Digits", "MediaUrl0", "Caller", "a", "A", "_"
  };

  private static final Method TWILIO_SIGNATURE;

  static {
    try {
      // twilio-java has no public signer; its private one is the reference for "their" signature.
      TWILIO_SIGNATURE =
          com.twilio.security.RequestValidator.class.getDeclaredMethod(
              "getValidationSignature", String.class, Map.class);
      TWILIO_SIGNATURE.setAccessible(true);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** A generated request, kept in parts so tests can rewrite its port without parsing the URL. */
  record Request(
      String token,
      String scheme,
      String userInfo,
      String host,
      String port,
      String pathAndQuery,
      Map<String, String> params,
      boolean lossy) {
    String url() {
      return urlWithPort(port);
    }

    String urlWithPort(String p) {
      return scheme + "://" + userInfo + host + p + pathAndQuery;
    }

    /** The other URL a validator must try: the port removed, or the default port added. */
    String portVariant() {
      return urlWithPort(port.isEmpty() ? (scheme.equals("https") ? ":443" : ":80") : "");
    }

    @Override
    public String toString() {
      return url() + " " + params + (lossy ? " (lossy)" : "");
    }
  }

  static LongStream seeds() {
    return LongStream.range(0, CASES);
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void signWhenGeneratedThenEqualsTwilioJavaSignature(long seed) {
    Request r = generate(seed);
    RequestSigner signer = new RequestSigner(r.token());
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(signer.sign(r.url(), r.params()))
        .as("%s", r)
        .isEqualTo(twilioSignature(r, r.url()));
    soft.assertThat(signer.sign(r.portVariant(), r.params()))
        .as("%s", r)
        .isEqualTo(twilioSignature(r, r.portVariant()));
    soft.assertAll();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void validateWhenSignedForExactUrlThenBothAccept(long seed) {
    Request r = generate(seed);
    String ours = new RequestSigner(r.token()).sign(r.url(), r.params());
    String theirs = twilioSignature(r, r.url());
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(twilio(r).validate(r.url(), r.params(), ours))
        .as("twilio-java, %s", r)
        .isTrue();
    soft.assertThat(callsign(r).validate(r.url(), r.params(), theirs)).as("ours, %s", r).isTrue();
    soft.assertAll();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void validateWhenSignedForPortVariantThenBothAcceptUnlessLossy(long seed) {
    Request r = generate(seed);
    String signature = twilioSignature(r, r.portVariant());
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(callsign(r).validate(r.url(), r.params(), signature))
        .as("ours, %s", r)
        .isTrue();
    soft.assertThat(twilio(r).validate(r.url(), r.params(), signature))
        .as("twilio-java, %s", r)
        .isEqualTo(!r.lossy());
    soft.assertAll();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void validateWhenMutatedThenBothReject(long seed) {
    Request r = generate(seed);
    Random random = new Random(~seed);
    String signature = twilioSignature(r, r.url());
    Map<String, Map<String, String>> badParams = new HashMap<>();
    Map<String, String> changed = new HashMap<>(r.params());
    String victim = r.params().isEmpty() ? null : List.copyOf(r.params().keySet()).get(0);
    if (victim != null) {
      changed.merge(victim, "x", (a, b) -> a + b);
      badParams.put("value changed", changed);
      Map<String, String> removed = new HashMap<>(r.params());
      removed.remove(victim);
      badParams.put("param removed", removed);
    }
    Map<String, String> added = new HashMap<>(r.params());
    added.put("ZzAdded", "");
    badParams.put("param added", added);

    SoftAssertions soft = new SoftAssertions();
    for (Map.Entry<String, Map<String, String>> bad : badParams.entrySet()) {
      soft.assertThat(twilio(r).validate(r.url(), bad.getValue(), signature))
          .as("twilio-java, %s, %s", bad.getKey(), r)
          .isFalse();
      soft.assertThat(callsign(r).validate(r.url(), bad.getValue(), signature))
          .as("ours, %s, %s", bad.getKey(), r)
          .isFalse();
    }
    Map<String, String> badSignatures =
        Map.of(
            "flipped", flip(signature, random),
            "other token", twilioSignature(r.token() + "0", r.url(), r.params()),
            "other port", twilioSignature(r, r.urlWithPort(":4444")),
            "path changed", twilioSignature(r, r.url() + "x"),
            "truncated", signature.substring(0, signature.length() - 1),
            "trailing newline", signature + "\n");
    for (Map.Entry<String, String> bad : badSignatures.entrySet()) {
      soft.assertThat(twilio(r).validate(r.url(), r.params(), bad.getValue()))
          .as("twilio-java, %s, %s", bad.getKey(), r)
          .isFalse();
      soft.assertThat(callsign(r).validate(r.url(), r.params(), bad.getValue()))
          .as("ours, %s, %s", bad.getKey(), r)
          .isFalse();
    }
    String otherScheme =
        (r.scheme().equals("https") ? "http" : "https") + r.url().substring(r.scheme().length());
    soft.assertThat(twilio(r).validate(otherScheme, r.params(), signature))
        .as("twilio-java, scheme swapped, %s", r)
        .isFalse();
    soft.assertThat(callsign(r).validate(otherScheme, r.params(), signature))
        .as("ours, scheme swapped, %s", r)
        .isFalse();
    soft.assertAll();
  }

  @ParameterizedTest
  @MethodSource("seeds")
  void validateJsonWhenGeneratedThenBothAgree(long seed) throws URISyntaxException {
    Request r = generate(seed);
    Random random = new Random(seed * 31);
    String body = "{\"" + text(random, 6) + "\": \"" + text(random, 12) + "\"}";
    SignedUrl signed = new RequestSigner(r.token()).signJson(r.url(), body);
    String otherBody = body + " ";
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(twilio(r).validate(signed.url(), body, signed.signature()))
        .as("twilio-java, %s", signed)
        .isTrue();
    soft.assertThat(callsign(r).validate(signed.url(), body, signed.signature()))
        .as("ours, %s", signed)
        .isTrue();
    soft.assertThat(twilio(r).validate(signed.url(), otherBody, signed.signature()))
        .as("twilio-java, body changed, %s", signed)
        .isFalse();
    soft.assertThat(callsign(r).validate(signed.url(), otherBody, signed.signature()))
        .as("ours, body changed, %s", signed)
        .isFalse();
    String hash = WebhookMac.sha256Hex(body);
    soft.assertThat(callsign(r).validateBody(body, hash))
        .isEqualTo(twilio(r).validateBody(body, hash))
        .isTrue();
    soft.assertThat(callsign(r).validateBody(otherBody, hash))
        .isEqualTo(twilio(r).validateBody(otherBody, hash))
        .isFalse();
    soft.assertAll();
  }

  private static RequestValidator callsign(Request r) {
    return new RequestValidator(r.token());
  }

  private static com.twilio.security.RequestValidator twilio(Request r) {
    return new com.twilio.security.RequestValidator(r.token());
  }

  private static String twilioSignature(Request r, String url) {
    return twilioSignature(r.token(), url, r.params());
  }

  private static String twilioSignature(String token, String url, Map<String, String> params) {
    try {
      return (String)
          TWILIO_SIGNATURE.invoke(new com.twilio.security.RequestValidator(token), url, params);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  static Request generate(long seed) {
    Random random = new Random(seed);
    String token = HexFormat.of().formatHex(bytes(random, 16));
    String scheme = random.nextInt(10) < 6 ? "https" : "http";
    String userInfo = random.nextInt(20) == 0 ? "user:pw@" : "";
    String host = pick(random, HOSTS);
    String port =
        switch (random.nextInt(3)) {
          case 0 -> "";
          case 1 -> scheme.equals("https") ? ":443" : ":80";
          default -> pick(random, NON_DEFAULT_PORTS);
        };
    boolean lossy = random.nextInt(6) == 0;
    StringBuilder rest = new StringBuilder();
    for (int i = random.nextInt(4); i > 0; i--) {
      rest.append('/').append(urlChars(random, PATH_CHARS, 8));
    }
    if (rest.isEmpty() || random.nextBoolean()) {
      rest.append('/');
    }
    if (random.nextInt(10) < 6) {
      rest.append('?');
      for (int i = random.nextInt(5); i > 0; i--) {
        rest.append(urlChars(random, QUERY_CHARS, 5))
            .append('=')
            .append(urlChars(random, QUERY_CHARS, 6));
        if (i > 1) {
          rest.append('&');
        }
      }
    }
    if (lossy) {
      // One escape twilio-java's rebuilt URL will decode, in the path or the query.
      int at = rest.indexOf("?") >= 0 && random.nextBoolean() ? rest.length() : 1;
      rest.insert(at, pick(random, LOSSY_ESCAPES));
    }
    Map<String, String> params = new HashMap<>();
    for (int i = random.nextInt(7); i > 0; i--) {
      String name = random.nextInt(10) < 6 ? pick(random, NAMES) : "n" + text(random, 6);
      params.put(name, random.nextInt(20) == 0 ? null : text(random, 10));
    }
    return new Request(token, scheme, userInfo, host, port, rest.toString(), params, lossy);
  }

  private static String urlChars(Random random, String alphabet, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(max + 1); i > 0; i--) {
      int kind = random.nextInt(20);
      if (kind < 2) {
        s.append(pick(random, KEPT_ESCAPES));
      } else if (kind < 3) {
        s.append(pick(random, RAW_UNICODE));
      } else {
        s.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
    }
    return s.toString();
  }

  /** Text with ASCII, BMP and astral characters, empty strings, and URL-significant characters. */
  private static String text(Random random, int max) {
    StringBuilder s = new StringBuilder();
    for (int i = random.nextInt(max + 1); i > 0; i--) {
      int kind = random.nextInt(10);
      if (kind < 5) {
        s.append("abcXYZ019_-.".charAt(random.nextInt(12)));
      } else if (kind < 8) {
        s.append(pick(random, TEXT_UNICODE));
      } else {
        s.append(pick(random, TEXT_SPECIAL));
      }
    }
    return s.toString();
  }

  private static String flip(String signature, Random random) {
    char[] chars = signature.toCharArray();
    int i = random.nextInt(chars.length - 1); // keep the padding
    chars[i] = chars[i] == 'A' ? 'B' : 'A';
    return new String(chars);
  }

  private static byte[] bytes(Random random, int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String pick(Random random, String[] values) {
    return values[random.nextInt(values.length)];
  }
}
