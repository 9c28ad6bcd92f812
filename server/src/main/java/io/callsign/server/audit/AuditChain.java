package io.callsign.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The hash chain over audit events: each event's hash is SHA-256 over the UTF-8 JSON array of its
 * predecessor's hash and all its own fields in a fixed order. Anyone holding an export can check
 * it; changing, removing or reordering an event breaks the chain from there on.
 */
public final class AuditChain {
  /** The hash before the first event ever: 64 zeros. */
  public static final String GENESIS = "0".repeat(64);

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private AuditChain() {}

  /** The hash {@code e} must carry, given its {@code prevHash} and content. */
  public static String hash(AuditEvent e) {
    Object[] content = {
      e.prevHash(),
      e.seq(),
      e.sid(),
      e.accountSid(),
      e.actorSid(),
      e.actorType(),
      e.eventType(),
      e.resourceSid(),
      e.resourceType(),
      e.source(),
      e.sourceIpAddress(),
      e.userAgent(),
      e.eventDate().toEpochMilli(),
      e.description(),
      e.eventData()
    };
    try {
      byte[] bytes =
          MAPPER.writeValueAsString(Arrays.asList(content)).getBytes(StandardCharsets.UTF_8);
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (JsonProcessingException | NoSuchAlgorithmException e2) {
      throw new IllegalStateException("cannot hash an audit event", e2);
    }
  }

  /**
   * A walk along the chain from an anchor: each {@link #step} checks that the next event follows
   * the one before it.
   */
  public static final class Walk {
    private String prev;
    private long next;

    /** Starts after the event {@code anchorSeq} whose hash is {@code anchorHash}. */
    public Walk(long anchorSeq, String anchorHash) {
      this.prev = anchorHash;
      this.next = anchorSeq + 1;
    }

    /** {@code null} when {@code e} is the next link of the chain, else what is wrong. */
    public String step(AuditEvent e) {
      String at = "event " + e.seq() + " (" + e.sid() + "): ";
      if (e.seq() != next) {
        return at + "expected event " + next + " here; events are missing";
      }
      if (!e.prevHash().equals(prev)) {
        return at + "prev_hash does not match the hash of the event before it";
      }
      if (!hash(e).equals(e.hash())) {
        return at + "its content does not match its hash (altered)";
      }
      prev = e.hash();
      next++;
      return null;
    }

    /** The seq of the last event that linked (the anchor's before any). */
    public long lastSeq() {
      return next - 1;
    }

    /** The hash of the last event that linked (the anchor's before any). */
    public String lastHash() {
      return prev;
    }
  }
}
