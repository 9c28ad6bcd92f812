package io.callsign.server.audit;

import java.util.Optional;

/** Checks the whole stored chain: every link from the anchor, and that it ends at the head. */
public final class AuditVerifier {
  private AuditVerifier() {}

  /**
   * The outcome of a check.
   *
   * @param events how many events linked
   * @param problem the first broken link, or {@code null} when the chain holds
   */
  public record Result(long events, String problem) {
    /** Whether the chain holds. */
    public boolean ok() {
      return problem == null;
    }
  }

  /** Walks the chain in {@code store}. */
  public static Result verify(AuditStore store) {
    AuditStore.ChainState chain = store.chain();
    AuditChain.Walk walk = new AuditChain.Walk(chain.anchorSeq(), chain.anchorHash());
    String[] problem = {null};
    long[] count = {0};
    store.forEach(
        chain.anchorSeq(),
        e -> {
          if (e.seq() > chain.headSeq()) {
            return false; // appended after we read the head: checked next time
          }
          problem[0] = walk.step(e);
          count[0]++;
          return problem[0] == null;
        });
    if (problem[0] != null) {
      return new Result(count[0] - 1, problem[0]);
    }
    Optional<String> end =
        walk.lastSeq() == chain.headSeq() && walk.lastHash().equals(chain.headHash())
            ? Optional.empty()
            : Optional.of(
                "the chain ends at event "
                    + walk.lastSeq()
                    + " but its head says "
                    + chain.headSeq()
                    + ": events at the end are missing or altered");
    return new Result(count[0], end.orElse(null));
  }
}
