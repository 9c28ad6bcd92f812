package io.callsign.server.crypto;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.Semaphore;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id password hashing for human passwords (ASVS 5.0 11.4.2 and Appendix C), stored as PHC
 * strings: {@code $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>}, salt and hash in base64 without
 * padding. Verification takes the parameters from the stored string, so hashes made with stronger
 * parameters later (or imported from elsewhere) still verify.
 *
 * <p>Passwords are normalised to Unicode NFKC before hashing (NIST SP 800-63B), so that the same
 * characters typed on different keyboards match; they are never truncated.
 *
 * <p>Each hash holds {@code m} KiB of memory while it runs, so at most a fixed number run at once;
 * further callers wait for a permit. Without that bound, a burst of sign-ins (from many addresses,
 * which the login throttle cannot stop) would take the heap with it.
 */
public final class PasswordHasher {
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;
  private static final int MIN_SALT_BYTES = 8;
  private static final int MAX_SALT_BYTES = 64;
  private static final int MIN_HASH_BYTES = 16;
  private static final int MAX_HASH_BYTES = 64;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder B64 = Base64.getEncoder().withoutPadding();
  private static final Base64.Decoder B64_DECODER = Base64.getDecoder();
  private static final Pattern PHC =
      Pattern.compile(
          "\\$argon2id\\$v=19\\$m=(\\d{1,8}),t=(\\d{1,3}),p=(\\d{1,2})"
              + "\\$([A-Za-z0-9+/]+)\\$([A-Za-z0-9+/]+)");

  /**
   * Argon2id cost parameters.
   *
   * @param iterations passes over memory ({@code t}), 1..100
   * @param memoryKiB memory in KiB ({@code m}), at least 8 per lane, at most 4 GiB
   * @param parallelism lanes ({@code p}), 1..16
   */
  public record Params(int iterations, int memoryKiB, int parallelism) {
    /** ASVS 5.0 Appendix C's row for two passes: t=2, m=19 MiB, p=1 (security-checklist.md 3.3). */
    public static final Params ASVS = new Params(2, 19_456, 1);

    /** Checks the ranges, which also bound what a stored string can make a verification cost. */
    public Params {
      if (iterations < 1 || iterations > 100) {
        throw new IllegalArgumentException("t must be 1..100");
      }
      if (parallelism < 1 || parallelism > 16) {
        throw new IllegalArgumentException("p must be 1..16");
      }
      if (memoryKiB < 8 * parallelism || memoryKiB > 4 * 1024 * 1024) {
        throw new IllegalArgumentException("m must be 8*p KiB..4 GiB");
      }
    }
  }

  private final Params params;
  private final Semaphore permits;
  private final String dummy;

  /** Hashes with {@code params}; at most {@code maxConcurrent} hashes run at once. */
  public PasswordHasher(Params params, int maxConcurrent) {
    this(params, new Semaphore(maxConcurrent, true));
  }

  /**
   * Hashes with {@code params}, each hash holding one of {@code permits} while it runs: hashers
   * that share the semaphore share one memory budget (and tests can watch callers wait for it).
   */
  public PasswordHasher(Params params, Semaphore permits) {
    this.params = params;
    this.permits = permits;
    byte[] salt = new byte[SALT_BYTES];
    byte[] hash = new byte[HASH_BYTES];
    RANDOM.nextBytes(salt);
    RANDOM.nextBytes(hash);
    // Random bytes in place of a hash, with the current parameters: verifying against them costs
    // what verifying against a real hash costs, and no password matches (but with odds of 2^-256).
    this.dummy = encode(params, salt, hash);
  }

  /** The ASVS parameters, with two hashes per processor at most at once. */
  public static PasswordHasher standard() {
    return new PasswordHasher(
        Params.ASVS, Math.max(2, 2 * Runtime.getRuntime().availableProcessors()));
  }

  /** The parameters new hashes are made with. */
  public Params params() {
    return params;
  }

  /**
   * Whether {@code password} can be hashed: it is well-formed UTF-16 (no unpaired surrogate, which
   * UTF-8 cannot carry).
   */
  public static boolean isWellFormed(String password) {
    return bytes(password) != null;
  }

  /**
   * A new PHC string for {@code password}, with a fresh random salt.
   *
   * @throws IllegalArgumentException if the password is not {@linkplain #isWellFormed well-formed}
   */
  public String hash(String password) {
    byte[] pw = bytes(password);
    if (pw == null) {
      throw new IllegalArgumentException("the password is not well-formed Unicode");
    }
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    try {
      return encode(params, salt, run(params, pw, salt, HASH_BYTES));
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /**
   * Whether {@code password} matches {@code stored}, compared in constant time. A password that is
   * not well-formed never matches, after the same work.
   *
   * @throws IllegalArgumentException if {@code stored} is not an Argon2id PHC string this class
   *     reads (the message does not quote it)
   */
  public boolean verify(String password, String stored) {
    Matcher m = PHC.matcher(stored == null ? "" : stored);
    if (!m.matches()) {
      throw new IllegalArgumentException("stored password hash is not an Argon2id v19 PHC string");
    }
    Params p;
    try {
      p =
          new Params(
              Integer.parseInt(m.group(2)),
              Integer.parseInt(m.group(1)),
              Integer.parseInt(m.group(3)));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("stored password hash has parameters out of range", e);
    }
    byte[] salt = decode(m.group(4), MIN_SALT_BYTES, MAX_SALT_BYTES, "salt");
    byte[] expected = decode(m.group(5), MIN_HASH_BYTES, MAX_HASH_BYTES, "hash");
    byte[] pw = bytes(password);
    boolean wellFormed = pw != null;
    if (!wellFormed) {
      pw = salt.clone();
    }
    try {
      byte[] actual = run(p, pw, salt, expected.length);
      return MessageDigest.isEqual(actual, expected) & wellFormed;
    } finally {
      Arrays.fill(pw, (byte) 0);
    }
  }

  /**
   * Verifies {@code password} against a hash that nothing matches, and returns false: for unknown
   * users, so that they cost what known ones cost (ASVS 6.3.8).
   */
  public boolean verifyNothing(String password) {
    verify(password, dummy);
    return false;
  }

  private static byte[] decode(String b64, int min, int max, String what) {
    byte[] out;
    try {
      out = B64_DECODER.decode(b64);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("stored password hash has a malformed " + what, e);
    }
    if (out.length < min || out.length > max) {
      throw new IllegalArgumentException(
          "stored password hash has a " + what + " of " + out.length + " bytes");
    }
    return out;
  }

  private byte[] run(Params p, byte[] password, byte[] salt, int length) {
    permits.acquireUninterruptibly();
    try {
      return derive(p, password, salt, length);
    } finally {
      permits.release();
    }
  }

  private static byte[] derive(Params p, byte[] password, byte[] salt, int length) {
    Argon2Parameters parameters =
        new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
            .withVersion(Argon2Parameters.ARGON2_VERSION_13)
            .withIterations(p.iterations())
            .withMemoryAsKB(p.memoryKiB())
            .withParallelism(p.parallelism())
            .withSalt(salt)
            .build();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(parameters);
    byte[] out = new byte[length];
    generator.generateBytes(password, out);
    return out;
  }

  private static String encode(Params p, byte[] salt, byte[] hash) {
    return "$argon2id$v=19$m="
        + p.memoryKiB()
        + ",t="
        + p.iterations()
        + ",p="
        + p.parallelism()
        + "$"
        + B64.encodeToString(salt)
        + "$"
        + B64.encodeToString(hash);
  }

  // NFKC, then strict UTF-8: null for an unpaired surrogate, which a lenient encoder would turn
  // into '?' (so that two different inputs hashed alike).
  private static byte[] bytes(String password) {
    String normalized = Normalizer.normalize(password, Normalizer.Form.NFKC);
    try {
      ByteBuffer buf =
          StandardCharsets.UTF_8
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .encode(CharBuffer.wrap(normalized));
      byte[] out = new byte[buf.remaining()];
      buf.get(out);
      if (buf.hasArray()) {
        Arrays.fill(buf.array(), (byte) 0);
      }
      return out;
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
