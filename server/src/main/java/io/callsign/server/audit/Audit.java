package io.callsign.server.audit;

import java.util.function.Function;
import java.util.function.Supplier;

/** What services record the audit trail through. */
public interface Audit {
  /** Records nothing: for tools and tests that build a service without a trail. */
  Audit NONE =
      new Audit() {
        @Override
        public <T> T atomically(Supplier<T> work, Function<T, NewEvent> event) {
          return work.get();
        }

        @Override
        public void submit(NewEvent e) {}
      };

  /**
   * Runs {@code work} and records the event {@code event} makes of its result in the same
   * transaction, so that an acknowledged change always has its event; {@code null} records none.
   */
  <T> T atomically(Supplier<T> work, Function<T, NewEvent> event);

  /** Records {@code e} soon, in a batch (for high-volume events such as authentications). */
  void submit(NewEvent e);
}
