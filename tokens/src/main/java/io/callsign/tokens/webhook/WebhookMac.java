package io.callsign.tokens.webhook;

import io.callsign.tokens.internal.KeyedMac;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The one place that computes an X-Twilio-Signature (twilio-wire.md section 8.1), shared by {@link
 * RequestSigner} and {@link RequestValidator} so the two can never disagree.
 */
final class WebhookMac {
  /** The query parameter that carries the SHA-256 of a JSON body (twilio-wire.md 8.2). */
  static final String BODY_SHA256 = "bodySHA256";

  private final KeyedMac mac;

  WebhookMac(String authToken) {
    if (authToken == null || authToken.isEmpty()) {
      throw new IllegalArgumentException("auth token must not be null or empty");
    }
    this.mac = KeyedMac.of(KeyedMac.HMAC_SHA1, strictUtf8(authToken));
  }

  /**
   * The signature of {@code url} and {@code params} as the ASCII bytes of padded base64, the form
   * it has in the header, so validators can compare header bytes without decoding (a lenient base64
   * decoder would accept several spellings of one signature).
   *
   * @throws NullPointerException for a null URL, name, value list or value
   * @throws IllegalArgumentException if the input is not well-formed UTF-16
   */
  byte[] sign(String url, Map<String, ? extends Collection<String>> params) {
    byte[] data = strictUtf8(stringToSign(url, params));
    return Base64.getEncoder().encode(mac.compute(data, 0, data.length));
  }

  /**
   * The URL followed by {@code name + value} for every name in UTF-16 order and, within a name,
   * every distinct value in UTF-16 order.
   *
   * <p>UTF-16 order is what twilio-java ({@code Collections.sort}) and twilio-node ({@code
   * Array.prototype.sort}) use; it differs from code point order only when names mix astral
   * characters with U+E000..U+FFFF. Dropping duplicate values follows twilio-node and
   * twilio-python; twilio-java has no multi-valued form.
   */
  static String stringToSign(String url, Map<String, ? extends Collection<String>> params) {
    StringBuilder data = new StringBuilder(url);
    if (params != null) {
      List<String> names = new ArrayList<>(params.keySet());
      names.sort(null);
      for (String name : names) {
        // StringBuilder would append null as "null"; refuse it instead.
        Objects.requireNonNull(name, "parameter name");
        for (String value : new TreeSet<>(params.get(name))) {
          data.append(name).append(Objects.requireNonNull(value, "parameter value"));
        }
      }
    }
    return data.toString();
  }

  /** Views single-valued parameters as multi-valued; a null value counts as "" like twilio-java. */
  static Map<String, List<String>> multiValued(Map<String, String> params) {
    if (params == null) {
      return Map.of();
    }
    Map<String, List<String>> multi = new LinkedHashMap<>(params.size() * 2);
    params.forEach((name, value) -> multi.put(name, List.of(value == null ? "" : value)));
    return multi;
  }

  /** Lowercase hex SHA-256 of the UTF-8 body, as Twilio puts it in {@code bodySHA256}. */
  static String sha256Hex(String body) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha256.digest(strictUtf8(body)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /**
   * UTF-8 bytes, refusing lone surrogates: {@code String.getBytes} would turn them into '?', so
   * "a\uD800" and "a?" would share a signature.
   */
  static byte[] strictUtf8(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)
          && i + 1 < s.length()
          && Character.isLowSurrogate(s.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        throw new IllegalArgumentException("lone surrogate at index " + i);
      }
    }
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
