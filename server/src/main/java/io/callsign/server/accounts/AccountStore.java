package io.callsign.server.accounts;

import io.callsign.tokens.sid.AccountSid;
import java.util.Optional;

/** Where accounts live. Implementations keep the auth token encrypted at rest. */
public interface AccountStore {
  /** Inserts a new account. */
  void insert(Account account);

  /** The account with this SID, if any. */
  Optional<Account> find(AccountSid sid);

  /** The oldest main account: the root account created on first start, if any. */
  Optional<Account> findRoot();
}
