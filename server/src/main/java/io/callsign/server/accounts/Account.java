package io.callsign.server.accounts;

import io.callsign.tokens.sid.AccountSid;
import java.time.Instant;
import java.util.Objects;

/**
 * An account, with its auth token in clear (it lives only in memory; the store keeps it encrypted).
 *
 * @param sid the account SID
 * @param ownerAccountSid the parent account; equal to {@code sid} for a main account
 * @param friendlyName a human-readable name
 * @param status whether it may authenticate
 * @param type {@code Full} or {@code Trial}; Callsign accounts are {@code Full}
 * @param authToken the primary auth token
 * @param dateCreated when it was created
 * @param dateUpdated when it last changed
 * @param secondaryAuthToken the secondary auth token, or {@code null} when there is none
 * @param secondaryDateCreated when the secondary auth token was created, or {@code null}
 */
public record Account(
    AccountSid sid,
    AccountSid ownerAccountSid,
    String friendlyName,
    AccountStatus status,
    String type,
    String authToken,
    Instant dateCreated,
    Instant dateUpdated,
    String secondaryAuthToken,
    Instant secondaryDateCreated) {

  /** The only account type Callsign creates. */
  public static final String TYPE_FULL = "Full";

  /** Checks that no field is missing. */
  public Account {
    Objects.requireNonNull(sid, "sid");
    Objects.requireNonNull(ownerAccountSid, "ownerAccountSid");
    Objects.requireNonNull(friendlyName, "friendlyName");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(authToken, "authToken");
    Objects.requireNonNull(dateCreated, "dateCreated");
    Objects.requireNonNull(dateUpdated, "dateUpdated");
    if ((secondaryAuthToken == null) != (secondaryDateCreated == null)) {
      throw new IllegalArgumentException("a secondary auth token goes with its creation time");
    }
  }

  /** An account without a secondary auth token. */
  public Account(
      AccountSid sid,
      AccountSid ownerAccountSid,
      String friendlyName,
      AccountStatus status,
      String type,
      String authToken,
      Instant dateCreated,
      Instant dateUpdated) {
    this(
        sid,
        ownerAccountSid,
        friendlyName,
        status,
        type,
        authToken,
        dateCreated,
        dateUpdated,
        null,
        null);
  }

  /** True for an account at the top of its tree (not a subaccount). */
  public boolean isMain() {
    return sid.equals(ownerAccountSid);
  }

  // A record's generated toString would print the auth token into any log line that shows it.
  @Override
  public String toString() {
    return "Account[sid=%s, owner=%s, status=%s]".formatted(sid, ownerAccountSid, status.wire());
  }
}
