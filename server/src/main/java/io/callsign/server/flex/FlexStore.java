package io.callsign.server.flex;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where Flex instances, users, roles and revoked tokens live. Token keys are encrypted at rest. */
public interface FlexStore {
  /**
   * Creates an instance for every account that has none (accounts created before Flex existed).
   *
   * @return how many were created
   */
  int createMissingInstances(Instant now);

  /** The instance with this SID, if any. */
  Optional<FlexInstance> findInstance(FlexInstanceSid sid);

  /** The instance of {@code account}, if any. */
  Optional<FlexInstance> findInstanceOf(AccountSid account);

  /** Sets the token server's Access Token lifetime; false when there is no such instance. */
  boolean updateTokenTtl(FlexInstanceSid sid, int ttl, Instant now);

  /**
   * Sets the token server's signing key to {@code key} if it is still {@code expected} (which may
   * be {@code null}); false when another request changed it first.
   */
  boolean replaceTokenServerKey(FlexInstanceSid sid, KeySid expected, KeySid key, Instant now);

  /** Inserts a new user; false when the instance already has one with the same username key. */
  boolean insertUser(FlexUser user, String usernameKey);

  /** The user with this SID, if any. */
  Optional<FlexUser> findUser(FlexUserSid sid);

  /** The user of {@code instance} whose username key is {@code usernameKey}, if any. */
  Optional<FlexUser> findUserByUsernameKey(FlexInstanceSid instance, String usernameKey);

  /**
   * Up to {@code limit} users of {@code instance} in username-key order: after {@code after} when
   * it is given, else just before {@code before} when that is given (still returned in ascending
   * order), else from the first.
   */
  List<FlexUser> pageUsers(FlexInstanceSid instance, String after, String before, int limit);

  /**
   * Replaces the user's fields with {@code user}'s if its stored version is still {@code
   * expectedVersion}; false when another request changed it first.
   */
  boolean updateUser(FlexUser user, long expectedVersion);

  /** Sets (or with {@code null} removes) the user's password hash; false when there is no user. */
  boolean setPasswordHash(FlexUserSid sid, String hash, Instant now);

  /** The instance's stored roles (custom ones and configured built-in ones), by name. */
  List<FlexRole> listRoles(FlexInstanceSid instance);

  /** The stored role {@code name} of {@code instance}, if any. */
  Optional<FlexRole> findRole(FlexInstanceSid instance, String name);

  /** Inserts or replaces a role. */
  void saveRole(FlexInstanceSid instance, FlexRole role);

  /** Deletes a stored role; false when there was none. */
  boolean deleteRole(FlexInstanceSid instance, String name);

  /** How many active users of {@code instance} hold role {@code name}. */
  int countActiveUsersWithRole(FlexInstanceSid instance, String name);

  /** Records a revoked Flex token until {@code expiresAt}. Revoking twice is harmless. */
  void revokeToken(String tokenId, FlexInstanceSid instance, Instant expiresAt);

  /** Whether the Flex token {@code tokenId} was revoked. */
  boolean isTokenRevoked(String tokenId);

  /** Forgets revocations of tokens that expired before {@code now}; returns how many. */
  int pruneRevokedTokens(Instant now);
}
