package io.callsign.server.http;

import io.callsign.server.accounts.Account;
import io.callsign.tokens.sid.KeySid;
import java.util.Objects;

/**
 * Who made an authenticated request.
 *
 * @param account the (active) account the credential belongs to
 * @param kind the kind of credential used
 * @param keySid the key used, or {@code null} for the auth token
 */
public record Principal(Account account, CredentialKind kind, KeySid keySid) {
  /** Checks that a key kind comes with its key SID. */
  public Principal {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(kind, "kind");
    if ((kind == CredentialKind.AUTH_TOKEN) != (keySid == null)) {
      throw new IllegalArgumentException("a key SID goes with a key credential, and only then");
    }
  }

  /**
   * Requires a credential that may manage keys, accounts and auth tokens.
   *
   * @throws ApiException 401/20003 for a standard key (twilio-wire.md 1.1: "a Standard key gets an
   *     error"), 403/70051 for a restricted key
   */
  public void requireCredentialManagement() {
    switch (kind) {
      case AUTH_TOKEN, MAIN_KEY -> {}
      case STANDARD_KEY -> throw new ApiException(ApiError.authenticate());
      case RESTRICTED_KEY -> throw new ApiException(ApiError.authorizationFailed());
    }
  }
}
