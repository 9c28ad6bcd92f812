package io.callsign.tokens.capability;

import java.util.List;

/**
 * Finds the auth tokens that may have signed a capability token for an account. Called with a
 * well-formed account SID only; the verifier refuses malformed issuers before any lookup.
 *
 * <p>Implementations should answer from memory, since every verification calls this.
 */
@FunctionalInterface
public interface AuthTokenLookup {
  /**
   * The auth tokens of {@code accountSid}: the primary one and, while it is being rotated, the
   * secondary one. An empty list (or null) when the account is unknown or closed.
   *
   * @param accountSid an account SID, {@code AC} followed by 32 hex digits
   */
  List<byte[]> find(String accountSid);
}
