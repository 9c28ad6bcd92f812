package io.callsign.server.accesstokens;

import io.callsign.server.accounts.Account;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.EnumCounts;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyType;
import io.callsign.tokens.AccessToken;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.TokenError;
import io.callsign.tokens.VerifiedAccessToken;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.atomic.LongAdder;

/**
 * Minting Access Tokens for clients that do not embed the library, and introspecting them (RFC 7662
 * style). No HTTP types; the routes authenticate and check permissions.
 *
 * <p>Keys and accounts come from the server's {@link CredentialCache}, so a warm introspection does
 * not touch the database, and a deleted key or an account that is no longer active makes its tokens
 * inactive at once on this node (within the cache's second on others).
 */
public final class AccessTokenService implements MeterBinder {
  private static final String INVALID_ISSUER = TokenError.INVALID_ISSUER_OR_SUBJECT.title() + ": ";
  // One message for a key that never existed, was deleted, or belongs to an account the caller may
  // not see, so that introspection cannot be used to probe for keys or accounts.
  private static final String UNKNOWN_KEY =
      INVALID_ISSUER + "the API key that signed the token does not exist or has been deleted";
  private static final String ACCOUNT_NOT_ACTIVE =
      INVALID_ISSUER + "the token's account, or its parent account, is not active";
  private static final String CANNOT_SIGN =
      INVALID_ISSUER
          + "the API key that signed the token may not sign Access Tokens (restricted keys never may)";

  private final CredentialCache credentials;
  private final Clock clock;
  private final AccessTokenVerifier verifier;
  private final LongAdder minted = new LongAdder();
  private final LongAdder active = new LongAdder();
  private final EnumCounts<TokenError> inactive = new EnumCounts<>(TokenError.class);

  // The introspection running on this thread. The verifier is built once and calls its KeyLookup
  // synchronously from verify(), so this is how the lookup learns who is asking.
  private final ThreadLocal<Lookup> lookups = new ThreadLocal<>();

  /** A service over {@code credentials}, taking the time from {@code clock}. */
  public AccessTokenService(CredentialCache credentials, Clock clock) {
    this.credentials = credentials;
    this.clock = clock;
    this.verifier = AccessTokenVerifier.builder(this::findSigningKey).clock(clock).build();
  }

  /**
   * A minted token.
   *
   * @param token the signed JWT
   * @param identity the identity it carries
   * @param keySid the key that signed it
   * @param expiresAt its {@code exp}
   */
  public record Minted(String token, String identity, KeySid keySid, Instant expiresAt) {
    // The token is a bearer credential: keep it out of any log line that shows this.
    @Override
    public String toString() {
      return "Minted[keySid=%s, expiresAt=%s]".formatted(keySid, expiresAt);
    }
  }

  /** What introspection found: an active token with its claims, or why it is not active. */
  public sealed interface Introspection {
    /** The token verifies and its key and account are in force. */
    record Active(VerifiedAccessToken token) implements Introspection {}

    /**
     * The token is not active.
     *
     * @param code the Twilio code (20101 to 20107, 20157)
     * @param message why, without key material
     */
    record Inactive(int code, String message) implements Introspection {}
  }

  /**
   * Mints the token {@code request} describes for {@code caller}, who holds {@link
   * Permission#ACCESS_TOKENS_CREATE}. The signing key is the authenticating key unless {@code
   * request} names one; naming another key needs {@link Permission#CREDENTIALS_MANAGE} (the auth
   * token or a main key), and with the auth token naming one is required.
   *
   * @throws ApiException 400/20001 for a missing, unknown or restricted signing key, 403/70051 for
   *     a standard key naming another key
   */
  Minted mint(Principal caller, MintRequest request) {
    Key key = chooseSigningKey(caller, request);
    AccessToken token =
        new AccessToken.Builder(key.accountSid().value(), key.sid().value(), key.secret())
            .identity(request.identity())
            .ttl(request.ttl())
            .nbf(request.nbf())
            .region(request.region())
            .grants(request.grants())
            .clock(clock)
            .build();
    String jwt;
    try {
      jwt = token.toJwt();
    } catch (IllegalArgumentException e) {
      // The only value the JSON writer refuses after the checks above.
      throw new ApiException(ApiError.invalidBody("a string holds an unpaired UTF-16 surrogate"));
    }
    if (jwt.length() > AccessTokenVerifier.DEFAULT_MAX_TOKEN_LENGTH) {
      // No verifier would accept it.
      throw new ApiException(
          ApiError.invalidBody(
              "the token would be longer than "
                  + AccessTokenVerifier.DEFAULT_MAX_TOKEN_LENGTH
                  + " characters; shorten the identity or the grants"));
    }
    minted.increment();
    return new Minted(jwt, request.identity(), key.sid(), token.getExpiration().toInstant());
  }

  /**
   * Registers {@code callsign_access_tokens_minted_total} and {@code
   * callsign_access_tokens_introspected_total} (by outcome and Twilio code).
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("callsign.access_tokens.minted", minted, LongAdder::doubleValue)
        .description("Access Tokens minted over the API")
        .register(registry);
    String introspected = "callsign.access_tokens.introspected";
    String description = "Access Tokens introspected, by outcome";
    FunctionCounter.builder(introspected, active, LongAdder::doubleValue)
        .description(description)
        .tags("outcome", "active", "code", "")
        .register(registry);
    inactive.register(
        registry,
        introspected,
        description,
        e -> Tags.of("outcome", "inactive", "code", Integer.toString(e.code())));
  }

  private Key chooseSigningKey(Principal caller, MintRequest request) {
    Params params = request.params();
    KeySid own = caller.keySid();
    KeySid named = request.keySid();
    if (named == null && own == null) {
      throw params.invalid(
          Param.KEY_SID,
          "required with the auth token: the SID of the API key to sign the token with");
    }
    if (named != null && !named.equals(own) && !caller.holds(Permission.CREDENTIALS_MANAGE)) {
      // Decided before any lookup, so the answer does not depend on whether that key exists.
      throw new ApiException(
          ApiError.authorizationFailed("a standard key signs Access Tokens with itself only"));
    }
    KeySid sid = named == null ? own : named;
    Key key =
        credentials
            .key(sid)
            .filter(k -> k.accountSid().equals(caller.account().sid()))
            .orElseThrow(() -> params.invalid(Param.KEY_SID, "no such API key in this account"));
    if (key.type() == KeyType.RESTRICTED) {
      throw params.invalid(Param.KEY_SID, "a restricted key cannot sign Access Tokens");
    }
    return key;
  }

  /**
   * Introspects {@code token} for {@code caller}, who holds {@link
   * Permission#ACCESS_TOKENS_INTROSPECT}. A token is active when it verifies (signature, header,
   * times, grants), its key still exists and may sign, and its account and that account's parent
   * are active. A token of an account other than the caller's own or one of its subaccounts is
   * reported exactly like one whose key does not exist.
   */
  public Introspection introspect(Principal caller, String token) {
    Lookup lookup = new Lookup(caller.account().sid());
    lookups.set(lookup);
    try {
      Introspection.Active result = new Introspection.Active(verifier.verify(token));
      active.increment();
      return result;
    } catch (InvalidTokenException e) {
      inactive.increment(e.error());
      if (e.error() == TokenError.INVALID_ISSUER_OR_SUBJECT && lookup.refusal != null) {
        return new Introspection.Inactive(e.code(), lookup.refusal);
      }
      return new Introspection.Inactive(e.code(), e.error().title() + ": " + e.getMessage());
    } finally {
      lookups.remove();
    }
  }

  /** The introspection in progress: who asks, and why the key lookup refused, if it did. */
  private static final class Lookup {
    final AccountSid caller;
    String refusal;

    Lookup(AccountSid caller) {
      this.caller = caller;
    }
  }

  // The verifier's KeyLookup: answers from the cache, and refuses (null) before the signature or
  // any time is checked, so a refused token tells nothing more about itself.
  private SigningKey findSigningKey(String keySid) {
    Lookup lookup = lookups.get();
    if (lookup == null) {
      return null;
    }
    CredentialCache.CachedKey found = credentials.cachedKey(KeySid.of(keySid)).orElse(null);
    Account account =
        found == null ? null : credentials.account(found.key().accountSid()).orElse(null);
    if (account == null || !visible(lookup.caller, account)) {
      lookup.refusal = UNKNOWN_KEY;
      return null;
    }
    if (!credentials.isActive(account)) {
      lookup.refusal = ACCOUNT_NOT_ACTIVE;
      return null;
    }
    if (found.key().type() == KeyType.RESTRICTED || found.signingKey() == null) {
      lookup.refusal = CANNOT_SIGN;
      return null;
    }
    return found.signingKey();
  }

  /** The caller's own account and its subaccounts. */
  private static boolean visible(AccountSid caller, Account account) {
    return account.sid().equals(caller)
        || (!account.isMain() && account.ownerAccountSid().equals(caller));
  }
}
