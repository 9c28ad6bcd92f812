package io.callsign.server.usage;

import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.util.List;

/**
 * The least privilege an API key needed in a window: what it used, the least key type that would
 * have done, and the restricted key's policy that would have been enough.
 *
 * @param accountSid the key's account
 * @param keySid the key
 * @param keyType the key's type
 * @param windowDays how many UTC days the window covers, today included
 * @param permissionsUsed what the key was allowed and used, by name
 * @param leastKeyType the least key type that would have done, or {@code null} when the key was not
 *     used in the window
 * @param suggestedPolicy the policy of a restricted key allowing what the key used that a policy
 *     can grant, or {@code null} when it used nothing a policy can grant
 * @param currentPolicy the key's policy when restricted, else {@code null}
 * @param unusedPermissions what the key may do here but did not, by name
 * @param unobservedPermissions names in its policy for products Callsign does not serve, whose use
 *     Callsign cannot see (left out of the suggestion)
 * @param explanation the advice, for people
 */
public record PolicySuggestion(
    AccountSid accountSid,
    KeySid keySid,
    KeyType keyType,
    int windowDays,
    List<Use> permissionsUsed,
    KeyType leastKeyType,
    Policy suggestedPolicy,
    Policy currentPolicy,
    List<String> unusedPermissions,
    List<String> unobservedPermissions,
    String explanation) {

  /** Keeps unmodifiable copies. */
  public PolicySuggestion {
    permissionsUsed = List.copyOf(permissionsUsed);
    unusedPermissions = List.copyOf(unusedPermissions);
    unobservedPermissions = List.copyOf(unobservedPermissions);
  }

  /**
   * One permission used.
   *
   * @param permission its name: the policy name, or a Callsign name when no policy grants it
   * @param grantable whether a restricted key's policy can grant it
   * @param requests how many requests used it
   * @param lastUsed when it was last used
   */
  public record Use(String permission, boolean grantable, long requests, Instant lastUsed) {}
}
