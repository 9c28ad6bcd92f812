package io.callsign.tokens.internal;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * An HMAC key ready for use: a {@link Mac} initialized once and cloned per operation.
 *
 * <p>{@code Mac.getInstance} plus {@code init} costs more than the HMAC of a whole token, and a
 * {@code Mac} is not thread-safe. Cloning an initialized prototype copies the precomputed inner and
 * outer pad states, which is cheap, and works the same on platform and virtual threads.
 */
public final class KeyedMac {
  public static final String HMAC_SHA256 = "HmacSHA256";
  public static final String HMAC_SHA1 = "HmacSHA1";

  private static final int CACHE_LIMIT = 256;
  private static final ConcurrentHashMap<CacheKey, KeyedMac> CACHE = new ConcurrentHashMap<>();

  private static final int IDLE_SLOTS = 4;

  private final AtomicReferenceArray<Mac> idle = new AtomicReferenceArray<>(IDLE_SLOTS);
  private final SecretKeySpec keySpec;
  private final Mac prototype;
  private final boolean cloneable;

  private KeyedMac(String algorithm, byte[] key) {
    try {
      this.keySpec = new SecretKeySpec(key, algorithm);
      Mac mac = Mac.getInstance(algorithm);
      mac.init(keySpec);
      this.prototype = mac;
      this.cloneable = canClone(mac);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException(algorithm + " is not available", e);
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
    CacheKey cacheKey = new CacheKey(algorithm, key);
    KeyedMac mac = CACHE.get(cacheKey);
    if (mac == null) {
      if (CACHE.size() >= CACHE_LIMIT) {
        CACHE.clear();
      }
      mac = new KeyedMac(algorithm, key);
      CACHE.put(new CacheKey(algorithm, key.clone()), mac);
    }
    return mac;
  }

  /** A MAC instance for one computation; callers must not share it across threads. */
  public Mac newMac() {
    if (cloneable) {
      try {
        return (Mac) prototype.clone();
      } catch (CloneNotSupportedException e) {
        throw new IllegalStateException(e);
      }
    }
    try {
      Mac mac = Mac.getInstance(keySpec.getAlgorithm(), prototype.getProvider());
      mac.init(keySpec);
      return mac;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The length of the MAC in bytes. */
  public int macLength() {
    return prototype.getMacLength();
  }

  /** Computes the MAC of {@code data[from, to)}. */
  public byte[] compute(byte[] data, int from, int to) {
    Mac mac = borrow();
    try {
      mac.update(data, from, to - from);
      return mac.doFinal();
    } finally {
      release(mac);
    }
  }

  /**
   * A MAC for one computation, taken from a few idle ones kept per key (cheaper than a clone); give
   * it back with {@link #release}. Works the same on platform and virtual threads.
   */
  public Mac borrow() {
    for (int i = 0; i < IDLE_SLOTS; i++) {
      Mac mac = idle.getAndSet(i, null);
      if (mac != null) {
        return mac;
      }
    }
    return newMac();
  }

  /** Returns a MAC taken with {@link #borrow}; it is reset first, and dropped if none is free. */
  public void release(Mac mac) {
    mac.reset();
    for (int i = 0; i < IDLE_SLOTS; i++) {
      if (idle.compareAndSet(i, null, mac)) {
        return;
      }
    }
  }

  private static boolean canClone(Mac mac) {
    try {
      mac.clone();
      return true;
    } catch (CloneNotSupportedException e) {
      return false;
    }
  }

  @Override
  public String toString() {
    return "KeyedMac[" + prototype.getAlgorithm() + ", key redacted]";
  }

  private record CacheKey(String algorithm, byte[] key) {
    // Both sides are secrets the caller already holds, never input from a request, so a
    // vectorized (not constant-time) comparison leaks nothing an attacker can measure.
    @Override
    public boolean equals(Object o) {
      return o instanceof CacheKey other
          && algorithm.equals(other.algorithm)
          && Arrays.equals(key, other.key);
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
