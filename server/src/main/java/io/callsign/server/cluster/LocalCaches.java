package io.callsign.server.cluster;

import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.http.CredentialCache;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;

/**
 * The caches a node keeps of rows that other nodes change: accounts and keys ({@link
 * CredentialCache}), Flex users, roles and revocations ({@link FlexTokenService}). The same entries
 * that the local write hooks drop ({@code KeyService.onChange}, {@code AccountService.onChange},
 * {@code FlexService.onUserChange}) are dropped here for changes made anywhere.
 */
public final class LocalCaches implements Invalidator {
  private final CredentialCache credentials;
  private final FlexTokenService flexTokens;

  /** Invalidates {@code credentials} and {@code flexTokens}. */
  public LocalCaches(CredentialCache credentials, FlexTokenService flexTokens) {
    this.credentials = credentials;
    this.flexTokens = flexTokens;
  }

  @Override
  public void invalidate(ChangeKind kind, String entry) {
    switch (kind) {
      case ACCOUNT -> credentials.invalidate(AccountSid.of(entry));
      case KEY -> credentials.invalidate(KeySid.of(entry));
      case FLEX_USER -> flexTokens.userChanged(FlexUserSid.of(entry));
      // Users are cached with the permissions their roles grant; roles change rarely.
      case FLEX_ROLE -> flexTokens.rolesChanged();
      case FLEX_TOKEN -> flexTokens.revocationChanged(entry);
    }
  }

  @Override
  public void invalidateAll() {
    credentials.invalidateAll();
    flexTokens.invalidateAll();
  }
}
