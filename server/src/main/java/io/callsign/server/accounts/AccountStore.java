package io.callsign.server.accounts;

import io.callsign.tokens.sid.AccountSid;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where accounts live. Implementations keep the auth tokens encrypted at rest. */
public interface AccountStore {
  /** Inserts a new account. */
  void insert(Account account);

  /** The account with this SID, if any. */
  Optional<Account> find(AccountSid sid);

  /** The oldest main account: the root account created on first start, if any. */
  Optional<Account> findRoot();

  /**
   * {@code owner} itself and the accounts it owns, oldest first, optionally only those with exactly
   * {@code friendlyName} and {@code status} (either may be {@code null}: no filter).
   */
  List<Account> listFamily(AccountSid owner, String friendlyName, AccountStatus status);

  /**
   * Sets the friendly name and status of {@code sid}. A closed account is never changed (closing is
   * final, even against a concurrent update).
   *
   * @return false when there is no such account or it is closed
   */
  boolean update(AccountSid sid, String friendlyName, AccountStatus status, Instant now);

  /**
   * Sets (or replaces) the secondary auth token of {@code sid}.
   *
   * @return false when there is no such account
   */
  boolean setSecondaryAuthToken(AccountSid sid, String token, Instant now);

  /**
   * Removes the secondary auth token of {@code sid}.
   *
   * @return false when there is no such account or it has no secondary token
   */
  boolean clearSecondaryAuthToken(AccountSid sid, Instant now);

  /**
   * Makes the secondary auth token of {@code sid} its primary one and removes the secondary, in one
   * write.
   *
   * @return false when there is no such account or it has no secondary token (or another request
   *     changed it meanwhile)
   */
  boolean promoteSecondaryAuthToken(AccountSid sid, Instant now);
}
