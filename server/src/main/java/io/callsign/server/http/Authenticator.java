package io.callsign.server.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

/**
 * HTTP Basic authentication of REST calls with {@code AC...:authToken}. Accounts are cached
 * (decrypted) so that a warm request does not touch the database; entries expire after a second so
 * that a suspension or token change made by another node takes effect within that second, and
 * {@link #invalidate} drops one at once after a local write.
 */
public final class Authenticator {
  // Compared against when the SID is unknown, so that both failures take the same time.
  private static final byte[] DUMMY =
      "00000000000000000000000000000000".getBytes(StandardCharsets.UTF_8);

  private final AccountService accounts;
  private final Cache<AccountSid, Optional<Account>> cache;

  /** Authenticates against {@code accounts}. */
  public Authenticator(AccountService accounts) {
    this.accounts = accounts;
    this.cache =
        Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofSeconds(1)).build();
  }

  /**
   * The account that {@code authorizationHeader} proves to be.
   *
   * @throws ApiException 401/20003 for missing or wrong credentials (the same for an unknown SID
   *     and a wrong token), 401/20005 when they are right but the account is not active
   */
  public Account authenticate(String authorizationHeader) {
    BasicCredentials creds =
        BasicCredentials.parse(authorizationHeader)
            .orElseThrow(() -> new ApiException(ApiError.authenticate()));
    Optional<Account> account =
        Sids.isValid(AccountSid.PREFIX, creds.username())
            ? cache.get(AccountSid.of(creds.username()), accounts::find)
            : Optional.empty();
    byte[] given = creds.password().getBytes(StandardCharsets.UTF_8);
    byte[] expected =
        account.map(a -> a.authToken().getBytes(StandardCharsets.UTF_8)).orElse(DUMMY);
    // Constant time in the content; the length of a token is not a secret (Twilio's are all 32).
    boolean match = java.security.MessageDigest.isEqual(given, expected);
    if (account.isEmpty() || !match) {
      throw new ApiException(ApiError.authenticate());
    }
    // Status is revealed only to a caller who proved the token.
    if (account.get().status() != AccountStatus.ACTIVE) {
      throw new ApiException(ApiError.accountNotActive());
    }
    return account.get();
  }

  /** Forgets the cached entry of {@code sid}; call after changing that account. */
  public void invalidate(AccountSid sid) {
    cache.invalidate(sid);
  }
}
