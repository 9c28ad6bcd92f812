package io.callsign.server.http;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * A count per constant of an enum (outcomes, reasons), kept in {@link LongAdder}s so that the hot
 * paths pay one uncontended increment, and exposed as one Prometheus counter with a tag per
 * constant once {@link #register registered}.
 */
public final class EnumCounts<E extends Enum<E>> {
  private final Map<E, LongAdder> counts;

  /** Zero for every constant of {@code type}. */
  public EnumCounts(Class<E> type) {
    counts = new EnumMap<>(type);
    for (E e : type.getEnumConstants()) {
      counts.put(e, new LongAdder());
    }
  }

  /** Counts one {@code e}. */
  public void increment(E e) {
    counts.get(e).increment();
  }

  /** How many {@code e} were counted. */
  public long count(E e) {
    return counts.get(e).sum();
  }

  /**
   * Registers the counter {@code name} in {@code registry}, one series per constant tagged by
   * {@code tags}. Every series of one name must carry the same tag keys.
   */
  public void register(
      MeterRegistry registry, String name, String description, Function<E, Tags> tags) {
    counts.forEach(
        (e, n) ->
            FunctionCounter.builder(name, n, LongAdder::doubleValue)
                .description(description)
                .tags(tags.apply(e))
                .register(registry));
  }
}
