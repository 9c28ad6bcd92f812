package io.callsign.tokens;

/**
 * Finds the signing key named by a token's issuer. Called with a well-formed key SID only; the
 * verifier refuses malformed issuers before any lookup.
 *
 * <p>Implementations should answer from memory (a cache), since every verification calls this.
 */
@FunctionalInterface
public interface KeyLookup {
  /**
   * The key for {@code keySid}, or null when there is no such key or it has been revoked.
   *
   * @param keySid an API key SID, {@code SK} followed by 32 hex digits
   */
  SigningKey find(String keySid);
}
