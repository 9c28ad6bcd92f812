package io.callsign.server;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicReference;

/** A clock that stands still until a test moves it: expiry is tested without waiting. */
final class TestClock extends Clock {
  private final AtomicReference<Instant> now;

  /** A clock standing at {@code start}. */
  TestClock(Instant start) {
    this.now = new AtomicReference<>(start);
  }

  /** Moves the clock by {@code amount} (backwards when negative). */
  void advance(Duration amount) {
    now.updateAndGet(t -> t.plus(amount));
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    throw new UnsupportedOperationException("UTC only");
  }
}
