package io.callsign.tokens.webhook;

import java.util.Objects;

/**
 * A URL to request and the {@code X-Twilio-Signature} header to send with it, as produced by {@link
 * RequestSigner#signJson(String, String)}.
 *
 * <p><b>Security:</b> the signature is not a secret (it travels in a header), but it authorizes
 * exactly this URL and body for as long as the auth token is valid; there is no expiry.
 *
 * @param url the URL with {@code bodySHA256=<hex>} in its query
 * @param signature the base64 HMAC-SHA1 signature for the {@code X-Twilio-Signature} header
 */
public record SignedUrl(String url, String signature) {
  /** Checks that both parts are present. */
  public SignedUrl {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(signature, "signature");
  }
}
