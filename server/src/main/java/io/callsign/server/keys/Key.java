package io.callsign.server.keys;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.util.Objects;

/**
 * An API key, with its secret in clear (it lives only in memory; the store keeps it encrypted).
 *
 * @param sid the key SID ({@code SK...})
 * @param accountSid the account the key acts for
 * @param friendlyName a human-readable name, or {@code null}
 * @param type what the key may do
 * @param policy the restricted key's policy, else {@code null}
 * @param secret the key secret (the Basic-auth password and the JWT signing key)
 * @param dateCreated when it was created
 * @param dateUpdated when it last changed
 */
public record Key(
    KeySid sid,
    AccountSid accountSid,
    String friendlyName,
    KeyType type,
    Policy policy,
    String secret,
    Instant dateCreated,
    Instant dateUpdated) {

  /** Checks that no required field is missing. */
  public Key {
    Objects.requireNonNull(sid, "sid");
    Objects.requireNonNull(accountSid, "accountSid");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(dateCreated, "dateCreated");
    Objects.requireNonNull(dateUpdated, "dateUpdated");
    if ((type == KeyType.RESTRICTED) != (policy != null)) {
      throw new IllegalArgumentException("a policy goes with a restricted key, and only then");
    }
  }

  /** This key with another friendly name, changed at {@code now}. */
  public Key withFriendlyName(String name, Instant now) {
    return new Key(sid, accountSid, name, type, policy, secret, dateCreated, now);
  }

  /** This key with another policy, changed at {@code now}. */
  public Key withPolicy(Policy newPolicy, Instant now) {
    return new Key(sid, accountSid, friendlyName, type, newPolicy, secret, dateCreated, now);
  }

  // A record's generated toString would print the secret into any log line that shows it.
  @Override
  public String toString() {
    return "Key[sid=%s, account=%s, type=%s]".formatted(sid, accountSid, type.wire());
  }
}
