package io.callsign.server.http;

import io.callsign.server.accounts.Account;
import io.callsign.server.keys.Key;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Optional;

/**
 * HTTP Basic authentication of REST calls with {@code AC...:authToken} or {@code SK...:secret}.
 * Accounts and keys come from the shared {@link CredentialCache}, so that a warm request does not
 * touch the database and a local write takes effect at once.
 */
public final class Authenticator {
  // Compared against when the SID is unknown, so that both failures take the same time.
  private static final byte[] DUMMY =
      "00000000000000000000000000000000".getBytes(StandardCharsets.UTF_8);

  private final CredentialCache credentials;

  /** Authenticates against the accounts and keys of {@code credentials}. */
  public Authenticator(CredentialCache credentials) {
    this.credentials = credentials;
  }

  /**
   * Who {@code authorizationHeader} proves to be.
   *
   * @throws ApiException 401/20003 for missing or wrong credentials (the same for an unknown SID
   *     and a wrong secret, for accounts and keys alike), 401/20005 when they are right but the
   *     account is not active
   */
  public Principal authenticate(String authorizationHeader) {
    BasicCredentials creds =
        BasicCredentials.parse(authorizationHeader)
            .orElseThrow(() -> new ApiException(ApiError.authenticate()));
    String user = creds.username();
    byte[] given = creds.password().getBytes(StandardCharsets.UTF_8);
    if (Sids.isValid(KeySid.PREFIX, user)) {
      Optional<Key> key = credentials.key(KeySid.of(user));
      check(given, key.map(Key::secret));
      Key k = key.orElseThrow();
      return new Principal(
          activeAccount(k.accountSid()), CredentialKind.of(k.type()), k.sid(), k.policy());
    }
    Optional<Account> account =
        Sids.isValid(AccountSid.PREFIX, user)
            ? credentials.account(AccountSid.of(user))
            : Optional.empty();
    // Until promotion the secondary auth token works as well as the primary one. Both are always
    // compared, so the time taken does not tell which one matched.
    boolean secondary =
        account
            .map(Account::secondaryAuthToken)
            .map(t -> MessageDigest.isEqual(given, t.getBytes(StandardCharsets.UTF_8)))
            .orElse(false);
    boolean primary = matches(given, account.map(Account::authToken));
    if (!(primary | secondary)) {
      throw new ApiException(ApiError.authenticate());
    }
    return new Principal(
        activeAccount(account.orElseThrow().sid()), CredentialKind.AUTH_TOKEN, null, null);
  }

  private static void check(byte[] given, Optional<String> secret) {
    if (!matches(given, secret)) {
      throw new ApiException(ApiError.authenticate());
    }
  }

  private static boolean matches(byte[] given, Optional<String> secret) {
    byte[] expected = secret.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(DUMMY);
    // Constant time in the content; the length of a secret is not itself a secret.
    boolean match = MessageDigest.isEqual(given, expected);
    return secret.isPresent() && match;
  }

  // Called only once the secret is proven, so that status is never revealed to a guesser.
  private Account activeAccount(AccountSid sid) {
    Account account =
        credentials.account(sid).orElseThrow(() -> new ApiException(ApiError.authenticate()));
    if (!credentials.isActive(account)) {
      throw new ApiException(ApiError.accountNotActive());
    }
    return account;
  }
}
