package io.callsign.server.throttle;

import io.callsign.server.crypto.SecretBox;
import io.callsign.server.store.Database;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Brute-force protection for password sign-ins: progressive delay rather than lockout
 * (docs/design/0009-token-server.md). An attempt is admitted, or refused with how long to wait;
 * refused attempts check no password and count for nothing.
 *
 * <p>An admitted attempt counts as a failure from the moment it is admitted, until {@link
 * #succeeded} or {@link #abandoned} takes it back. So attempts running in parallel cannot slip past
 * a wait that the earlier ones would have started: admission is decided and counted in one step.
 *
 * <p>One node alone (SQLite) keeps its counters in memory ({@link LocalLoginThrottle}); nodes
 * sharing a PostgreSQL database keep them there ({@link PostgresLoginThrottle}), so that they share
 * one budget.
 */
public interface LoginThrottle {
  /**
   * The throttle for {@code database}: {@link PostgresLoginThrottle} on PostgreSQL, which other
   * nodes may share (its HMAC key sealed by {@code box}); {@link LocalLoginThrottle} on SQLite.
   */
  static LoginThrottle of(Database database, SecretBox box, ThrottlePolicy policy, Clock clock) {
    return database.dialect() == Database.Dialect.POSTGRESQL
        ? new PostgresLoginThrottle(database.jdbi(), box, policy, clock)
        : new LocalLoginThrottle(policy, clock);
  }

  /**
   * One sign-in attempt.
   *
   * @param user who it is for: the instance and the username key, whether or not such a user exists
   *     (so that unknown users are throttled exactly like known ones)
   * @param source where it comes from: {@link #sourceOf} of the TCP peer address
   */
  record Attempt(String user, String source) {}

  /** What {@link #admit} decided. */
  sealed interface Admission {}

  /**
   * The attempt may check its password; it counts as failed until settled otherwise.
   *
   * @param attempt the attempt
   * @param trusted whether its user signed in successfully from its source recently, which exempts
   *     it from the per-user and per-source limits (but never from the per-pair one)
   */
  record Admitted(Attempt attempt, boolean trusted) implements Admission {}

  /**
   * The attempt must wait.
   *
   * @param retryAfter how long, in whole seconds, at least one
   */
  record Refused(Duration retryAfter) implements Admission {}

  /** Admits {@code attempt} and counts it, or refuses it without counting. */
  Admission admit(Attempt attempt);

  /**
   * The admitted attempt's password was right: its (user, source) pair starts again from nothing
   * and is trusted for a while; what it added to the per-user and per-source counters is taken
   * back.
   */
  void succeeded(Admitted admitted);

  /**
   * The admitted attempt ended with neither answer (e.g. the database failed): everything it
   * counted is taken back.
   */
  void abandoned(Admitted admitted);

  /**
   * The source key of a peer address: an IPv4 address as it is, an IPv6 address by its /64 prefix
   * (one subscriber usually holds a whole /64, so counting single addresses would let one client
   * rotate through billions), an IPv4-mapped IPv6 address as the IPv4 address.
   */
  static String sourceOf(String address) {
    String a = address == null ? "" : address.strip();
    if (a.startsWith("[") && a.endsWith("]")) {
      a = a.substring(1, a.length() - 1);
    }
    int scope = a.indexOf('%');
    if (scope >= 0) {
      a = a.substring(0, scope);
    }
    // Only literals: never a name lookup.
    if (a.isEmpty() || !a.matches("[0-9A-Fa-f:.]+")) {
      return a;
    }
    InetAddress parsed;
    try {
      parsed = InetAddress.getByName(a);
    } catch (UnknownHostException e) {
      return a;
    }
    if (parsed instanceof Inet6Address) {
      byte[] b = parsed.getAddress();
      HexFormat hex = HexFormat.of();
      StringBuilder out = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        out.append(hex.toHexDigits(b[i])).append(hex.toHexDigits(b[i + 1])).append(':');
      }
      return out.append(":/64").toString();
    }
    return parsed.getHostAddress();
  }
}
