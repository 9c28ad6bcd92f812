package io.callsign.server.http;

import io.callsign.server.accounts.Account;
import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.keys.Key;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP Basic authentication of REST calls with {@code AC...:authToken} or {@code SK...:secret}.
 * Accounts and keys come from the shared {@link CredentialCache}, so that a warm request does not
 * touch the database and a local write takes effect at once.
 */
public final class Authenticator implements MeterBinder {
  // Compared against when the SID is unknown, so that both failures take the same time.
  private static final byte[] DUMMY =
      "00000000000000000000000000000000".getBytes(StandardCharsets.UTF_8);

  private final CredentialCache credentials;
  private final Audit audit;
  private final KeyUsageRecorder usage;
  private final Clock clock;
  private final String systemAccountSid;
  private final EnumCounts<CredentialKind> succeeded = new EnumCounts<>(CredentialKind.class);
  private final EnumCounts<Failure> failed = new EnumCounts<>(Failure.class);

  /** Why an attempt failed, as the audit trail and the metrics name it. */
  private enum Failure {
    NO_CREDENTIALS,
    MALFORMED_CREDENTIALS,
    UNKNOWN_CREDENTIAL_OR_WRONG_SECRET,
    ACCOUNT_NOT_ACTIVE;

    private final String text = name().toLowerCase(Locale.ROOT).replace('_', ' ');
    private final String tag = name().toLowerCase(Locale.ROOT);
  }

  /** Authenticates against the accounts and keys of {@code credentials}, recording nothing. */
  public Authenticator(CredentialCache credentials) {
    this(credentials, Audit.NONE, Clock.systemUTC(), null);
  }

  /**
   * Authenticates against the accounts and keys of {@code credentials} and submits every attempt to
   * {@code audit}: attempts naming no known account go to {@code systemAccountSid}'s trail.
   */
  public Authenticator(
      CredentialCache credentials, Audit audit, Clock clock, String systemAccountSid) {
    this(credentials, audit, KeyUsageRecorder.NONE, clock, systemAccountSid);
  }

  /**
   * As {@link #Authenticator(CredentialCache, Audit, Clock, String)}, and counts every successful
   * key authentication, and the permissions its request uses, in {@code usage}.
   */
  public Authenticator(
      CredentialCache credentials,
      Audit audit,
      KeyUsageRecorder usage,
      Clock clock,
      String systemAccountSid) {
    this.credentials = credentials;
    this.audit = audit;
    this.usage = usage;
    this.clock = clock;
    this.systemAccountSid = systemAccountSid;
  }

  /** Registers {@code callsign_authentications_total}, by outcome and credential kind or reason. */
  @Override
  public void bindTo(MeterRegistry registry) {
    String name = "callsign.authentications";
    String description = "REST authentication attempts, by outcome";
    succeeded.register(
        registry,
        name,
        description,
        kind -> Tags.of("outcome", "succeeded", "credential_kind", kind.wire(), "reason", ""));
    failed.register(
        registry,
        name,
        description,
        reason -> Tags.of("outcome", "failed", "credential_kind", "", "reason", reason.tag));
  }

  /**
   * Who {@code authorizationHeader} proves to be.
   *
   * @throws ApiException 401/20003 for missing or wrong credentials (the same for an unknown SID
   *     and a wrong secret, for accounts and keys alike), 401/20005 when they are right but the
   *     account is not active
   */
  public Principal authenticate(String authorizationHeader) {
    Optional<BasicCredentials> parsed = BasicCredentials.parse(authorizationHeader);
    if (parsed.isEmpty()) {
      failed(
          null,
          null,
          authorizationHeader == null ? Failure.NO_CREDENTIALS : Failure.MALFORMED_CREDENTIALS);
      throw new ApiException(ApiError.authenticate());
    }
    try {
      Instant now = clock.instant();
      Principal p = check(parsed.get(), now);
      RequestContext.authenticated(p);
      succeeded.increment(p.kind());
      audit.submit(
          NewEvent.byCaller(
              p.account().sid().value(),
              "auth.succeeded",
              null,
              null,
              "Authenticated",
              Map.of("credential_kind", p.kind().wire()),
              now));
      return p;
    } catch (ApiException e) {
      String user = parsed.get().username();
      failed(
          user,
          accountOf(user),
          e.error().code() == ApiError.accountNotActive().code()
              ? Failure.ACCOUNT_NOT_ACTIVE
              : Failure.UNKNOWN_CREDENTIAL_OR_WRONG_SECRET);
      throw e;
    }
  }

  // The attempted SID is recorded when it is well formed; the secret never is.
  private void failed(String attemptedSid, AccountSid account, Failure reason) {
    failed.increment(reason);
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("reason", reason.text);
    boolean sid =
        attemptedSid != null
            && (Sids.isValid(KeySid.PREFIX, attemptedSid)
                || Sids.isValid(AccountSid.PREFIX, attemptedSid));
    if (sid) {
      data.put("attempted_sid", attemptedSid);
      data.put(
          "credential_kind", attemptedSid.startsWith(KeySid.PREFIX) ? "api-key" : "auth-token");
    }
    String trail = account != null ? account.value() : systemAccountSid;
    if (trail == null) {
      return;
    }
    audit.submit(
        NewEvent.byCaller(
            trail,
            "auth.failed",
            sid ? attemptedSid : null,
            null,
            "Authentication failed: " + reason.text,
            data,
            clock.instant()));
  }

  // The account a failed attempt was aimed at, when its SID is known.
  private AccountSid accountOf(String user) {
    if (Sids.isValid(KeySid.PREFIX, user)) {
      return credentials.key(KeySid.of(user)).map(Key::accountSid).orElse(null);
    }
    if (Sids.isValid(AccountSid.PREFIX, user)) {
      return credentials.account(AccountSid.of(user)).map(Account::sid).orElse(null);
    }
    return null;
  }

  private Principal check(BasicCredentials creds, Instant now) {
    String user = creds.username();
    byte[] given = creds.password().getBytes(StandardCharsets.UTF_8);
    if (Sids.isValid(KeySid.PREFIX, user)) {
      Optional<Key> key = credentials.key(KeySid.of(user));
      check(given, key.map(Key::secret));
      Key k = key.orElseThrow();
      Account account = activeAccount(k.accountSid());
      // Counted only once the key is proven and its account active: a use, not an attempt.
      RequestContext rc = RequestContext.current();
      KeyUsageRecorder.PermissionCounter counter =
          usage.authenticated(k, rc == null ? null : rc.sourceIpAddress(), now.toEpochMilli());
      return new Principal(account, CredentialKind.of(k.type()), k.sid(), k.policy(), counter);
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
