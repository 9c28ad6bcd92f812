package io.callsign.server.audit;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/** Where the audit trail lives: append-only, except for retention pruning. */
public interface AuditStore {
  /**
   * Chains and inserts {@code events}, in order, in the caller's transaction when there is one.
   * Appends are serialized by locking the chain's head.
   *
   * @return the stored events
   */
  List<AuditEvent> append(List<NewEvent> events);

  /**
   * Runs {@code work} in one transaction: the store writes it makes and any {@link #append} it
   * calls commit or roll back together.
   */
  <T> T inTransaction(java.util.function.Supplier<T> work);

  /** The head and anchor of the chain. */
  ChainState chain();

  /**
   * The chain's state.
   *
   * @param headSeq the last event's seq (0 when there was never one)
   * @param headHash the last event's hash
   * @param anchorSeq the seq of the last pruned event (0 when none was pruned)
   * @param anchorHash the hash the first remaining event follows
   */
  record ChainState(long headSeq, String headHash, long anchorSeq, String anchorHash) {}

  /**
   * What a list request asks for; {@code null} fields do not filter.
   *
   * @param accountSid the account (required)
   * @param actorSid only this actor
   * @param eventType only this type
   * @param resourceSid only this resource
   * @param sourceIpAddress only from this address
   * @param start only at or after
   * @param end only before
   */
  record Filter(
      String accountSid,
      String actorSid,
      String eventType,
      String resourceSid,
      String sourceIpAddress,
      Instant start,
      Instant end) {}

  /**
   * Up to {@code limit} events matching {@code filter}, newest first: those older than {@code
   * beforeSeq} when given, else those newer than {@code afterSeq} when given, else the newest.
   */
  List<AuditEvent> page(Filter filter, Long beforeSeq, Long afterSeq, int limit);

  /** The event {@code sid} of {@code accountSid}, if any. */
  Optional<AuditEvent> find(String accountSid, String sid);

  /**
   * Walks every event after {@code afterSeq} in seq order, in batches, until {@code visitor}
   * returns false.
   */
  void forEach(long afterSeq, Predicate<AuditEvent> visitor);

  /**
   * Deletes up to {@code limit} events dated before {@code cutoff} from the start of the chain, in
   * one transaction, and moves the anchor to the last one deleted, so that what remains still
   * verifies.
   *
   * @return how many were deleted (fewer than {@code limit} when no more are due)
   */
  int pruneBefore(Instant cutoff, int limit);

  /**
   * The streaming sink's progress.
   *
   * @param url the receiver the last start configured, or {@code null} when no sink is configured
   * @param deliveredSeq the last event the receiver acknowledged
   */
  record SinkState(String url, long deliveredSeq) {}

  /** The streaming sink's progress. */
  SinkState sink();

  /**
   * Records the receiver this node delivers to ({@code null}: none, so retention no longer waits
   * for deliveries). Progress is kept when the URL changes.
   */
  void configureSink(String url);

  /**
   * Makes {@code node} the one delivering until {@code until}, if no other node holds an unexpired
   * lease at {@code now}.
   *
   * @return whether {@code node} now holds the lease
   */
  boolean leaseSink(String node, Instant now, Instant until);

  /**
   * Records that the receiver acknowledged every event up to {@code seq}, if {@code node} still
   * holds the lease.
   *
   * @return whether it was recorded
   */
  boolean sinkDelivered(String node, long seq);

  /** Gives up {@code node}'s lease, if it holds it, so that another node may deliver at once. */
  void releaseSink(String node);
}
