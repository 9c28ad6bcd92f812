package io.callsign.tokens.internal;

import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An HMAC key (RFC 2104) ready for use, with the inner and outer padded key blocks hashed once.
 *
 * <p>RFC 2104 section 4 suggests precomputing these two states: each computation then clones them
 * instead of hashing two extra blocks, which saves about a sixth of the HMAC of a whole token
 * (measured in {@code docs/benchmarks.md}); {@code javax.crypto.Mac} hashes them every time. The
 * result is byte for byte the standard HMAC, checked against {@code javax.crypto.Mac} in tests.
 *
 * <p>The same idea goes one step further with {@link #startWith}: the state after the padded key
 * and a prefix of a block or more is kept for the last prefix used. Every token a library mints has
 * the same header segment, and the Access Token header is exactly one block long.
 *
 * <p>Instances are thread-safe: the keyed states never change, and the prefix state is replaced
 * whole and only ever cloned. A {@link Computation} belongs to one thread.
 */
public final class KeyedMac {
  /** HMAC-SHA256: Access Tokens, capability tokens and other JWTs. */
  public static final String HMAC_SHA256 = "HmacSHA256";

  /** HMAC-SHA1: X-Twilio-Signature. */
  public static final String HMAC_SHA1 = "HmacSHA1";

  /** SHA-1 and SHA-256 both hash 64-byte blocks. */
  private static final int BLOCK_SIZE = 64;

  private static final int CACHE_LIMIT = 256;
  private static final ConcurrentHashMap<CacheKey, KeyedMac> CACHE = new ConcurrentHashMap<>();

  private final String algorithm;
  private final MessageDigest innerPadded;
  private final MessageDigest outerPadded;

  private KeyedMac(String algorithm, byte[] key) {
    this.algorithm = algorithm;
    MessageDigest digest = digest(algorithm);
    byte[] block = Arrays.copyOf(key.length > BLOCK_SIZE ? digest.digest(key) : key, BLOCK_SIZE);
    byte[] pad = new byte[BLOCK_SIZE];
    for (int i = 0; i < BLOCK_SIZE; i++) {
      pad[i] = (byte) (block[i] ^ 0x36);
    }
    this.innerPadded = digest(algorithm);
    innerPadded.update(pad);
    for (int i = 0; i < BLOCK_SIZE; i++) {
      pad[i] = (byte) (block[i] ^ 0x5c);
    }
    this.outerPadded = digest(algorithm);
    outerPadded.update(pad);
    Arrays.fill(block, (byte) 0);
    Arrays.fill(pad, (byte) 0);
  }

  private static MessageDigest digest(String algorithm) {
    String name =
        switch (algorithm) {
          case HMAC_SHA256 -> "SHA-256";
          case HMAC_SHA1 -> "SHA-1";
          default -> throw new IllegalArgumentException("unsupported HMAC " + algorithm);
        };
    try {
      return MessageDigest.getInstance(name);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(name + " is required of every Java platform", e);
    }
  }

  /** A fresh keyed MAC for {@code key}. */
  public static KeyedMac of(String algorithm, byte[] key) {
    return new KeyedMac(algorithm, key);
  }

  /**
   * A keyed MAC for {@code key}, shared through a small bounded cache, for callers that hand over
   * the raw secret on every call (the twilio-java-compatible builders).
   */
  public static KeyedMac cached(String algorithm, byte[] key) {
    // Most callers mint with one key over and over: compare with the last one used before hashing
    // the key for the map. A racy read of an immutable record: at worst a map lookup.
    LastUsed last = lastUsed;
    if (last != null && last.key.equals(algorithm, key)) {
      return last.mac;
    }
    CacheKey cacheKey = new CacheKey(algorithm, key.clone());
    KeyedMac mac = CACHE.get(cacheKey);
    if (mac == null) {
      if (CACHE.size() >= CACHE_LIMIT) {
        CACHE.clear();
      }
      mac = new KeyedMac(algorithm, key);
      CACHE.put(cacheKey, mac);
    }
    lastUsed = new LastUsed(cacheKey, mac);
    return mac;
  }

  private record LastUsed(CacheKey key, KeyedMac mac) {}

  private static LastUsed lastUsed;

  /** Starts one computation, to be fed in parts. */
  public Computation start() {
    return new Computation(copy(innerPadded));
  }

  /**
   * Starts one computation already fed {@code bytes[0, length)}. When that prefix is the one used
   * last, its hashed state is cloned instead of hashing it again: one SHA-256 block saved per token
   * for the usual header.
   */
  public Computation startWith(byte[] bytes, int length) {
    if (length < BLOCK_SIZE) {
      return start().update(bytes, 0, length); // nothing to save below one block
    }
    PrefixState last = lastPrefix;
    if (last != null
        && last.prefix.length == length
        && Swar.constantTimeEquals(last.prefix, 0, bytes, 0, length)) {
      return new Computation(copy(last.state));
    }
    MessageDigest state = copy(innerPadded);
    state.update(bytes, 0, length);
    // Racy on purpose: a lost update only costs a later hash of the prefix.
    lastPrefix = new PrefixState(Arrays.copyOf(bytes, length), copy(state));
    return new Computation(state);
  }

  /** A prefix and the inner state after it; the state is never updated, only cloned. */
  private record PrefixState(byte[] prefix, MessageDigest state) {}

  private PrefixState lastPrefix;

  /** Computes the MAC of {@code data[from, to)}. */
  public byte[] compute(byte[] data, int from, int to) {
    Computation computation = start();
    computation.update(data, from, to - from);
    return computation.finish();
  }

  private static MessageDigest copy(MessageDigest digest) {
    try {
      return (MessageDigest) digest.clone();
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException("the platform's digests are cloneable", e);
    }
  }

  /** One HMAC computation: feed it with {@code update}, then {@link #finish()} once. */
  public final class Computation {
    private final MessageDigest inner;

    private Computation(MessageDigest inner) {
      this.inner = inner;
    }

    /** Feeds {@code bytes[offset, offset + length)}. */
    public Computation update(byte[] bytes, int offset, int length) {
      inner.update(bytes, offset, length);
      return this;
    }

    /** Feeds all of {@code bytes}. */
    public Computation update(byte[] bytes) {
      inner.update(bytes);
      return this;
    }

    /** Feeds one byte. */
    public Computation update(byte b) {
      inner.update(b);
      return this;
    }

    /** The MAC of everything fed. */
    public byte[] finish() {
      // Both digests write into one array: no intermediate result is allocated.
      byte[] mac = new byte[inner.getDigestLength()];
      MessageDigest outer = copy(outerPadded);
      try {
        inner.digest(mac, 0, mac.length);
        outer.update(mac);
        outer.digest(mac, 0, mac.length);
      } catch (DigestException e) {
        throw new IllegalStateException("the array holds exactly one digest", e);
      }
      return mac;
    }
  }

  @Override
  public String toString() {
    return "KeyedMac[" + algorithm + ", key redacted]";
  }

  private record CacheKey(String algorithm, byte[] key) {
    // Both sides are secrets the caller already holds, never input from a request, so a
    // vectorized (not constant-time) comparison leaks nothing an attacker can measure.
    @Override
    public boolean equals(Object o) {
      return o instanceof CacheKey other && equals(other.algorithm, other.key);
    }

    boolean equals(String otherAlgorithm, byte[] otherKey) {
      return algorithm.equals(otherAlgorithm) && Arrays.equals(key, otherKey);
    }

    @Override
    public int hashCode() {
      return algorithm.hashCode() * 31 + Arrays.hashCode(key);
    }

    @Override
    public String toString() {
      return "CacheKey[" + algorithm + "]";
    }
  }
}
