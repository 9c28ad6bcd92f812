package io.callsign.tokens.webhook;

import io.callsign.tokens.internal.KeyedMac;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The one place that computes an X-Twilio-Signature (twilio-wire.md section 8.1), shared by {@link
 * RequestSigner} and {@link RequestValidator} so the two can never disagree.
 *
 * <p>The string to sign is the URL followed by the parameters part: names in {@link String} order
 * (as twilio-java and twilio-node sort them), each value appended after its name, a repeated name's
 * values de-duplicated and sorted (as twilio-node and twilio-python do).
 */
final class WebhookMac {
  /** The query parameter that carries the SHA-256 of a JSON body (twilio-wire.md 8.2). */
  static final String BODY_SHA256 = "bodySHA256";

  private static final Base64.Encoder BASE64 = Base64.getEncoder();

  private final KeyedMac mac;

  WebhookMac(String authToken) {
    if (authToken == null || authToken.isEmpty()) {
      throw new IllegalArgumentException("auth token must not be null or empty");
    }
    this.mac = KeyedMac.of(KeyedMac.HMAC_SHA1, strictUtf8(authToken));
  }

  /**
   * The base64 signature, as ASCII bytes, of {@code url} followed by {@code params} (both UTF-8,
   * the parameters part already built). The MAC is fed the two parts; nothing is concatenated.
   */
  byte[] sign(byte[] url, byte[] params) {
    return BASE64.encode(mac.start().update(url).update(params).finish());
  }

  /**
   * The parameters part for one value per name; a null value counts as empty, as in twilio-java.
   */
  static String params(Map<String, String> params) {
    if (params == null || params.isEmpty()) {
      return "";
    }
    String[] names = params.keySet().toArray(new String[0]);
    Arrays.sort(names);
    StringBuilder data = new StringBuilder(names.length * 24);
    for (String name : names) {
      // StringBuilder would append a null name as "null"; refuse it instead.
      Objects.requireNonNull(name, "parameter name");
      String value = params.get(name);
      data.append(name).append(value == null ? "" : value);
    }
    return data.toString();
  }

  /** The parameters part for names that may repeat. */
  static String multiParams(Map<String, ? extends Collection<String>> params) {
    if (params == null || params.isEmpty()) {
      return "";
    }
    String[] names = params.keySet().toArray(new String[0]);
    Arrays.sort(names);
    StringBuilder data = new StringBuilder(names.length * 24);
    for (String name : names) {
      Objects.requireNonNull(name, "parameter name");
      for (String value : new TreeSet<>(params.get(name))) {
        // StringBuilder would append null as "null"; refuse it instead.
        data.append(name).append(Objects.requireNonNull(value, "parameter value"));
      }
    }
    return data.toString();
  }

  static String sha256Hex(String body) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha256.digest(strictUtf8(body)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required of every Java platform", e);
    }
  }

  /**
   * UTF-8 of {@code s}, refusing unpaired surrogates (which {@code getBytes} silently turns into
   * {@code ?}, so a signature over them would also match a literal {@code ?}).
   *
   * @throws IllegalArgumentException on an unpaired surrogate
   */
  static byte[] strictUtf8(String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    if (bytes.length == s.length()) {
      // Every char became one byte: ASCII, or an unpaired surrogate turned into '?'.
      for (int i = 0; i < bytes.length; i++) {
        if (bytes[i] == '?' && s.charAt(i) != '?') {
          throw new IllegalArgumentException("lone surrogate at index " + i);
        }
      }
      return bytes;
    }
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
    return bytes;
  }
}
