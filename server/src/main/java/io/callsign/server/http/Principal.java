package io.callsign.server.http;

import io.callsign.server.accounts.Account;
import io.callsign.server.keys.Policy;
import io.callsign.tokens.sid.KeySid;
import java.util.Objects;

/**
 * Who made an authenticated request.
 *
 * @param account the (active) account the credential belongs to
 * @param kind the kind of credential used
 * @param keySid the key used, or {@code null} for the auth token
 * @param policy the restricted key's policy, else {@code null}
 * @param permissionsUsed where the permissions this request is allowed to use are counted
 */
public record Principal(
    Account account,
    CredentialKind kind,
    KeySid keySid,
    Policy policy,
    KeyUsageRecorder.PermissionCounter permissionsUsed) {
  /** Checks that a key kind comes with its key SID, and a restricted key with its policy. */
  public Principal {
    Objects.requireNonNull(account, "account");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(permissionsUsed, "permissionsUsed");
    if ((kind == CredentialKind.AUTH_TOKEN) != (keySid == null)) {
      throw new IllegalArgumentException("a key SID goes with a key credential, and only then");
    }
    if ((kind == CredentialKind.RESTRICTED_KEY) != (policy != null)) {
      throw new IllegalArgumentException("a policy goes with a restricted key, and only then");
    }
  }

  /** A caller whose permission checks are not counted. */
  public Principal(Account account, CredentialKind kind, KeySid keySid, Policy policy) {
    this(account, kind, keySid, policy, KeyUsageRecorder.PermissionCounter.NONE);
  }

  /** Whether this credential holds {@code permission}. */
  public boolean holds(Permission permission) {
    return holds(kind, policy, permission);
  }

  /**
   * Whether a credential of {@code kind} (with {@code policy} when restricted) holds {@code
   * permission}.
   */
  public static boolean holds(CredentialKind kind, Policy policy, Permission permission) {
    return switch (kind) {
      case AUTH_TOKEN, MAIN_KEY -> true;
      case STANDARD_KEY -> permission.standardKeysHold();
      case RESTRICTED_KEY -> {
        String name = permission.policyName();
        yield name != null && policy.allows(name);
      }
    };
  }

  /**
   * Requires {@code permission}.
   *
   * @throws ApiException 401/20003 when a standard key manages credentials (twilio-wire.md 1.1: "a
   *     Standard key gets an error"), 403/70051 for a restricted key without the permission
   */
  public void require(Permission permission) {
    if (!holds(permission)) {
      throw new ApiException(
          kind == CredentialKind.STANDARD_KEY
              ? ApiError.authenticate()
              : ApiError.authorizationFailed());
    }
    // What a key actually needs is what it was allowed here: the base of least-privilege advice.
    permissionsUsed.used(permission);
  }
}
