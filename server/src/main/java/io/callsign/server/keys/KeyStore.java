package io.callsign.server.keys;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Where API keys live. Implementations keep the secret encrypted at rest. */
public interface KeyStore {
  /** Inserts a new key. */
  void insert(Key key);

  /** The key with this SID, whatever its account, if any. */
  Optional<Key> find(KeySid sid);

  /**
   * Up to {@code limit} keys of {@code account} ordered by creation time then SID: those after
   * {@code after} when given, else from position {@code offset}.
   */
  List<Key> list(AccountSid account, Key after, long offset, int limit);

  /**
   * Sets the friendly name and the policy, each unless {@code null}, if the key belongs to {@code
   * account}; false when there is no such key.
   */
  boolean update(AccountSid account, KeySid sid, String friendlyName, Policy policy, Instant now);

  /** Deletes the key if it belongs to {@code account}; false when there is no such key. */
  boolean delete(AccountSid account, KeySid sid);
}
