package io.callsign.server.keys;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * API key logic: issuing secrets, paging, renaming, deleting. No HTTP types; callers check
 * permissions and parameters.
 */
public final class KeyService {
  /** The longest friendly name (twilio-wire.md 1.1). */
  public static final int MAX_FRIENDLY_NAME = 64;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder SECRET_ENCODING = Base64.getUrlEncoder().withoutPadding();

  private static final String RESOURCE = "api-key";

  private final KeyStore store;
  private final Clock clock;
  private final Audit audit;
  private final List<Consumer<KeySid>> onChange = new ArrayList<>();

  /** A service over {@code store}, stamping times from {@code clock}, with no audit trail. */
  public KeyService(KeyStore store, Clock clock) {
    this(store, clock, Audit.NONE);
  }

  /**
   * A service over {@code store}, stamping times from {@code clock}, recording every change in
   * {@code audit} in the change's transaction.
   */
  public KeyService(KeyStore store, Clock clock, Audit audit) {
    this.store = store;
    this.clock = clock;
    this.audit = audit;
  }

  private NewEvent event(
      AccountSid account, KeySid key, String type, String what, Map<String, Object> data) {
    return NewEvent.byCaller(
        account.value(), type, key.value(), RESOURCE, what, data, clock.instant());
  }

  // What an event says about a key: never its secret.
  private static Map<String, Object> describe(Key k) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("friendly_name", k.friendlyName());
    data.put("key_type", k.type().wire());
    if (k.policy() != null) {
      data.put("policy", Map.of("allow", k.policy().allow()));
    }
    return data;
  }

  /**
   * Registers {@code listener} to run after a key is changed or deleted on this node (e.g. to drop
   * it from an authentication cache at once). Call while wiring, before serving.
   */
  public void onChange(Consumer<KeySid> listener) {
    onChange.add(listener);
  }

  /** Creates a key of {@code type}; the returned key carries the only copy of the secret shown. */
  public Key create(AccountSid account, String friendlyName, KeyType type, Policy policy) {
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Key key = new Key(KeySid.random(), account, friendlyName, type, policy, newSecret(), now, now);
    return audit.atomically(
        () -> {
          store.insert(key);
          return key;
        },
        k -> event(account, k.sid(), "api-key.created", "API key created", describe(k)));
  }

  /** The key with this SID, whatever its account (for authentication). */
  public Optional<Key> find(KeySid sid) {
    return store.find(sid);
  }

  /** The key with this SID if it belongs to {@code account}. */
  public Optional<Key> find(AccountSid account, KeySid sid) {
    return store.find(sid).filter(k -> k.accountSid().equals(account));
  }

  /**
   * One page of {@code account}'s keys: those after {@code after} when it is a key of that account,
   * else page number {@code page}.
   */
  public KeyPage page(AccountSid account, KeySid after, long page, int pageSize) {
    Key anchor = after == null ? null : find(account, after).orElse(null);
    List<Key> rows = store.list(account, anchor, page * pageSize, pageSize + 1);
    boolean hasNext = rows.size() > pageSize;
    return new KeyPage(hasNext ? rows.subList(0, pageSize) : rows, hasNext);
  }

  /**
   * Changes the key's friendly name and policy, each unless {@code null}; empty when {@code
   * account} has no such key. Callers check that a policy goes only to a restricted key.
   */
  public Optional<Key> update(AccountSid account, KeySid sid, String friendlyName, Policy policy) {
    if (friendlyName == null && policy == null) {
      return find(account, sid);
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    boolean updated =
        audit.atomically(
            () -> store.update(account, sid, friendlyName, policy, now),
            done -> {
              if (!done) {
                return null;
              }
              Map<String, Object> data = new LinkedHashMap<>();
              if (friendlyName != null) {
                data.put("friendly_name", friendlyName);
              }
              if (policy != null) {
                data.put("policy", Map.of("allow", policy.allow()));
              }
              return event(account, sid, "api-key.updated", "API key updated", data);
            });
    if (!updated) {
      return Optional.empty();
    }
    // A narrowed policy takes effect at once.
    onChange.forEach(l -> l.accept(sid));
    return find(account, sid);
  }

  /** Deletes the key; false when {@code account} has no such key. */
  public boolean delete(AccountSid account, KeySid sid) {
    boolean deleted =
        audit.atomically(
            () -> store.delete(account, sid),
            done ->
                done
                    ? event(
                        account,
                        sid,
                        "api-key.deleted",
                        "API key deleted; its tokens are revoked",
                        Map.of())
                    : null);
    if (deleted) {
      onChange.forEach(l -> l.accept(sid));
    }
    return deleted;
  }

  // 32 random bytes (256 bits) as 43 base64url characters: jjwt needs an HMAC key of 32 bytes or
  // more, and these characters survive Basic auth, env files and shells without quoting.
  static String newSecret() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return SECRET_ENCODING.encodeToString(bytes);
  }
}
