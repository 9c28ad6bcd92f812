package io.callsign.tokens.webhook;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;

/**
 * Signs outgoing webhooks the way Twilio does, so that receivers using twilio-java, twilio-node,
 * twilio-python or {@link RequestValidator} accept them.
 *
 * <pre>{@code
 * RequestSigner signer = new RequestSigner(authToken);
 * String header = signer.sign("https://example.com/hook", Map.of("CallSid", callSid));
 * SignedUrl json = signer.signJson("https://example.com/hook", body); // POST body to json.url()
 * }</pre>
 *
 * <p>The URL is signed exactly as given; send the request to that exact URL.
 *
 * <p><b>Security:</b> a signature has no timestamp or nonce, so receivers cannot detect replays;
 * include an event id the receiver can deduplicate on. Signatures are HMAC-SHA1 keyed with the auth
 * token, as the Twilio protocol requires.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class RequestSigner {
  private final WebhookMac mac;

  /**
   * A signer keyed with {@code authToken}.
   *
   * <p><b>Security:</b> the token is kept only as an initialized HMAC key, never as a string.
   *
   * @throws IllegalArgumentException if the token is null, empty or holds a lone surrogate
   */
  public RequestSigner(String authToken) {
    this.mac = new WebhookMac(authToken);
  }

  /**
   * The {@code X-Twilio-Signature} for a form-encoded request with single-valued parameters.
   *
   * <p><b>Security:</b> no replay protection (see the class comment).
   *
   * @param url the full URL that will be requested, including any query string
   * @param params the POST form parameters; null or empty for GET requests. A null value is signed
   *     as the empty string, as in twilio-java
   * @throws NullPointerException if {@code url} or a parameter name is null
   * @throws IllegalArgumentException if any string holds a lone surrogate
   */
  public String sign(String url, Map<String, String> params) {
    Objects.requireNonNull(url, "url");
    return sign(url, WebhookMac.params(params));
  }

  /**
   * The {@code X-Twilio-Signature} for a form-encoded request whose parameters may repeat, signed
   * as twilio-node and twilio-python expect: each name's distinct values in order.
   *
   * <p><b>Security:</b> no replay protection (see the class comment). Repeating a value does not
   * change the signature, and neither does a name with no values.
   *
   * @param url the full URL that will be requested, including any query string
   * @param params every value of every POST form parameter; null or empty for GET requests
   * @throws NullPointerException if {@code url}, a name, a value list or a value is null
   * @throws IllegalArgumentException if any string holds a lone surrogate
   */
  public String signParams(String url, Map<String, ? extends Collection<String>> params) {
    Objects.requireNonNull(url, "url");
    return sign(url, WebhookMac.multiParams(params));
  }

  /**
   * Adds {@code bodySHA256=<lowercase hex SHA-256 of body>} to the URL's query and signs the result
   * with no parameters, as Twilio does for JSON bodies.
   *
   * <p><b>Security:</b> the body is bound to the signature only through its hash in the URL; no
   * replay protection (see the class comment).
   *
   * @param url the URL that will be requested, without {@code bodySHA256}
   * @param body the exact body that will be sent, encoded as UTF-8
   * @return the URL to request and the signature to send
   * @throws NullPointerException if {@code url} or {@code body} is null
   * @throws IllegalArgumentException if the URL already has a {@code bodySHA256} parameter, or a
   *     string holds a lone surrogate
   */
  public SignedUrl signJson(String url, String body) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(body, "body");
    if (WebhookUrl.firstQueryValue(url, WebhookMac.BODY_SHA256) != null) {
      // Validators read the first bodySHA256, so a second one would be ambiguous.
      throw new IllegalArgumentException("url already has a bodySHA256 parameter");
    }
    String signedUrl =
        WebhookUrl.withQueryParam(url, WebhookMac.BODY_SHA256, WebhookMac.sha256Hex(body));
    return new SignedUrl(signedUrl, sign(signedUrl, ""));
  }

  private String sign(String url, String params) {
    byte[] signature = mac.sign(WebhookMac.strictUtf8(url), WebhookMac.strictUtf8(params));
    return new String(signature, StandardCharsets.US_ASCII);
  }
}
