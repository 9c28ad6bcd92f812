package io.callsign.server.console;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.ConsoleUserSid;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Storage of console users, sessions and sign-up links. Every single-use rule (TOTP steps, recovery
 * codes, sign-up links) is a conditional UPDATE or DELETE, so it holds across nodes.
 */
interface ConsoleStore {
  /**
   * A user with what checking their credentials needs.
   *
   * @param user the user
   * @param passwordHash the Argon2id PHC string, or {@code null} before sign-up
   * @param totpSecret the confirmed TOTP seed, or {@code null}
   * @param totpPending the seed shown during enrolment, or {@code null}
   * @param totpLastStep the last TOTP step accepted
   */
  record StoredUser(
      ConsoleUser user,
      String passwordHash,
      byte[] totpSecret,
      byte[] totpPending,
      long totpLastStep) {}

  /**
   * Adds a user.
   *
   * @return false when the normalised address is taken
   */
  boolean insertUser(ConsoleUser user, String emailKey, String passwordHash);

  Optional<StoredUser> findUser(ConsoleUserSid sid);

  /** The main accounts (not subaccounts), oldest first. */
  List<AccountSid> mainAccounts();

  /** Whether the account exists. */
  boolean accountExists(AccountSid account);

  /** Whether the account exists and is not closed. */
  boolean accountOpen(AccountSid account);

  Optional<StoredUser> findUserByEmailKey(String emailKey);

  List<ConsoleUser> listUsers(AccountSid account);

  long countUsers();

  void setPassword(ConsoleUserSid sid, String passwordHash, Instant now);

  void setPendingTotp(ConsoleUserSid sid, byte[] secret);

  /**
   * Makes the pending seed the confirmed one, with {@code step} as the last step accepted.
   *
   * @return false when there is no pending seed (or the step was taken)
   */
  boolean confirmTotp(ConsoleUserSid sid, long step, Instant now);

  /**
   * Records {@code step} as accepted, if it is later than the last one.
   *
   * @return false when it is not (the code was used already)
   */
  boolean acceptTotpStep(ConsoleUserSid sid, long step);

  void replaceRecoveryCodes(ConsoleUserSid sid, List<String> codeHashes);

  /** Deletes the recovery code; false when it was not there (unknown, or used already). */
  boolean useRecoveryCode(ConsoleUserSid sid, String codeHash);

  int countRecoveryCodes(ConsoleUserSid sid);

  void insertSession(ConsoleSession session);

  Optional<ConsoleSession> findSession(String idHash);

  void touchSession(String idHash, Instant now);

  /** Deletes the session; false when it was gone already. */
  boolean deleteSession(String idHash);

  /** Deletes every session of the user but {@code keepIdHash} (which may be {@code null}). */
  int deleteSessionsOf(ConsoleUserSid sid, String keepIdHash);

  /** Deletes sessions past their absolute limit or idle since before {@code idleBefore}. */
  int deleteExpiredSessions(Instant now, Instant idleBefore);

  void insertSignUpLink(String tokenHash, ConsoleUserSid sid, Instant expiresAt, Instant now);

  /**
   * Uses the link: deletes it and returns its user, if it exists and has not expired at {@code
   * now}.
   */
  Optional<ConsoleUserSid> useSignUpLink(String tokenHash, Instant now);

  /** The link's user if it exists and has not expired, without using it. */
  Optional<ConsoleUserSid> peekSignUpLink(String tokenHash, Instant now);
}
