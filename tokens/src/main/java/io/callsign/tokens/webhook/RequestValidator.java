package io.callsign.tokens.webhook;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.Map;

/**
 * Checks the {@code X-Twilio-Signature} header of an incoming webhook, as a drop-in replacement for
 * twilio-java's {@code com.twilio.security.RequestValidator}: the constructor and the {@code
 * validate} and {@code validateBody} methods have the same shapes, so migrating is an import
 * change.
 *
 * <pre>{@code
 * RequestValidator validator = new RequestValidator(authToken);
 * boolean fromTwilio = validator.validate(url, formParams, request.getHeader("X-Twilio-Signature"));
 * }</pre>
 *
 * <p>A signature is accepted if it matches the URL as given, the URL with its port removed, or the
 * URL with the scheme's default port added (443 for https, otherwise 80), as twilio-java,
 * twilio-node and twilio-python do. The URL is used character for character and never re-encoded:
 * twilio-java rebuilds it with {@code java.net.URI}, which decodes escapes such as {@code %41} or
 * {@code %26} in the port variants, so for such URLs it rejects port variants that this class (and
 * twilio-node) accept.
 *
 * <p>No method throws on bad input: a null, empty or malformed URL, signature, body or map, and
 * strings holding lone surrogates, all make the check return {@code false}. Unlike twilio-java's,
 * {@link #validate(String, String, String)} does not declare {@code URISyntaxException}; callers
 * that catch it must drop that catch when migrating.
 *
 * <p><b>Security:</b> every candidate signature is computed and compared in constant time against
 * the header bytes. The signature covers no timestamp or nonce, so this check gives no replay
 * protection: a captured request can be replayed for as long as the auth token is unchanged. Reject
 * duplicates by {@code CallSid}/{@code MessageSid} or an idempotency key if that matters. Use the
 * URL Twilio requested (scheme, host and query as Twilio saw them, not as a proxy rewrote them).
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class RequestValidator {
  private final WebhookMac mac;

  /**
   * A validator for webhooks signed with {@code authToken}.
   *
   * <p><b>Security:</b> the token is kept only as an initialized HMAC key, never as a string.
   *
   * @throws IllegalArgumentException if the token is null, empty or holds a lone surrogate
   */
  public RequestValidator(String authToken) {
    this.mac = new WebhookMac(authToken);
  }

  /**
   * Whether {@code signature} is valid for a form-encoded request with single-valued parameters,
   * like twilio-java's method of the same signature.
   *
   * <p><b>Security:</b> constant-time comparison; no replay protection (see the class comment).
   *
   * @param url the full URL Twilio requested, including the query string
   * @param params the POST form parameters; null or empty for GET requests. A null value counts as
   *     the empty string, as in twilio-java
   * @param signature the {@code X-Twilio-Signature} header
   * @return whether the signature matches; false for any malformed input
   */
  public boolean validate(String url, Map<String, String> params, String signature) {
    try {
      return matches(url, WebhookMac.params(params), signature);
    } catch (RuntimeException e) {
      return false; // a null name, or a map that throws: junk input is not a valid signature
    }
  }

  /**
   * Whether {@code signature} is valid for a form-encoded request whose parameters may repeat, the
   * way twilio-node and twilio-python sign them: names in order, and for each name its distinct
   * values in order, each appended as {@code name + value}.
   *
   * <p><b>Security:</b> constant-time comparison; no replay protection (see the class comment).
   *
   * @param url the full URL Twilio requested, including the query string
   * @param params every value of every POST form parameter; null or empty for GET requests
   * @param signature the {@code X-Twilio-Signature} header
   * @return whether the signature matches; false for any malformed input, including null value
   *     lists or null values
   */
  public boolean validateParams(
      String url, Map<String, ? extends Collection<String>> params, String signature) {
    try {
      return matches(url, WebhookMac.multiParams(params), signature);
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether a request with a JSON (or other non-form) body is authentic: the URL must carry {@code
   * bodySHA256=<lowercase hex SHA-256 of the body>}, the signature must be valid for the URL with
   * no parameters, and the body must hash to that value.
   *
   * <p><b>Security:</b> both checks always run and compare in constant time; no replay protection
   * (see the class comment).
   *
   * @param url the full URL Twilio requested, including {@code bodySHA256}
   * @param body the raw request body, decoded as UTF-8
   * @param signature the {@code X-Twilio-Signature} header
   * @return whether both checks pass; false when the URL has no {@code bodySHA256} or any input is
   *     malformed
   */
  public boolean validate(String url, String body, String signature) {
    try {
      String expectedHash = WebhookUrl.firstQueryValue(url, WebhookMac.BODY_SHA256);
      if (expectedHash == null) {
        return false;
      }
      boolean signed = matches(url, "", signature);
      boolean hashed = validateBody(body, expectedHash);
      return signed & hashed; // non-short-circuit: the time taken does not reveal which failed
    } catch (RuntimeException e) {
      return false;
    }
  }

  /**
   * Whether the lowercase hex SHA-256 of the UTF-8 {@code body} equals {@code expectedSha256Hex}.
   * Uppercase hex is refused, as in twilio-java and twilio-node.
   *
   * <p><b>Security:</b> constant-time comparison. The hash alone proves nothing: it is only
   * meaningful together with a valid signature over the URL that carries it.
   *
   * @param body the raw request body, decoded as UTF-8
   * @param expectedSha256Hex the {@code bodySHA256} value from the URL
   * @return whether the hashes match; false for null or malformed input
   */
  public boolean validateBody(String body, String expectedSha256Hex) {
    if (body == null || expectedSha256Hex == null) {
      return false;
    }
    try {
      byte[] actual = WebhookMac.sha256Hex(body).getBytes(StandardCharsets.US_ASCII);
      return MessageDigest.isEqual(actual, expectedSha256Hex.getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException e) {
      return false; // lone surrogate in the body
    }
  }

  private boolean matches(String url, String params, String signature) {
    if (url == null || signature == null || signature.isEmpty()) {
      return false;
    }
    // The header is compared as bytes, never decoded; non-ASCII never matches base64.
    byte[] given = signature.getBytes(StandardCharsets.UTF_8);
    byte[] paramBytes = WebhookMac.strictUtf8(params);
    // The URL as given first, then its port variant. Which variant matched is no secret; each
    // comparison is constant-time (MessageDigest.isEqual's time depends on the first length only).
    for (String candidate : WebhookUrl.portVariants(url)) {
      if (MessageDigest.isEqual(mac.sign(WebhookMac.strictUtf8(candidate), paramBytes), given)) {
        return true;
      }
    }
    return false;
  }
}
