package io.callsign.server.audit;

import java.time.Instant;
import java.util.Objects;

/**
 * One event of the audit trail, in the shape of Twilio's Monitor Events API, with its place in the
 * hash chain.
 *
 * @param seq its position in the chain, from 1
 * @param sid {@code AE...}
 * @param accountSid the account it happened in
 * @param actorSid who acted ({@code AC...} for an auth token, {@code SK...} for a key, {@code
 *     FU...} for a Flex user, {@code US...} for a console user), or {@code null} when nobody was
 *     authenticated
 * @param actorType {@code account}, {@code api-key}, {@code flex-user}, {@code console-user},
 *     {@code anonymous} or {@code system}
 * @param eventType e.g. {@code api-key.created}, {@code auth.failed}
 * @param resourceSid what it acted on, or {@code null}
 * @param resourceType e.g. {@code api-key}, or {@code null}
 * @param source {@code api}, {@code token-server}, {@code sso} (single sign-on), {@code console} or
 *     {@code system}
 * @param sourceIpAddress the client's address, or {@code null}
 * @param userAgent the client's User-Agent, or {@code null}
 * @param eventDate when it happened (milliseconds)
 * @param description what happened, for people
 * @param eventData details as a JSON object's text; never a secret
 * @param prevHash the hash of the event before it (or the chain's anchor)
 * @param hash SHA-256 over {@code prevHash} and this event's content, hex
 */
public record AuditEvent(
    long seq,
    String sid,
    String accountSid,
    String actorSid,
    String actorType,
    String eventType,
    String resourceSid,
    String resourceType,
    String source,
    String sourceIpAddress,
    String userAgent,
    Instant eventDate,
    String description,
    String eventData,
    String prevHash,
    String hash) {
  /** Checks the required fields. */
  public AuditEvent {
    Objects.requireNonNull(sid, "sid");
    Objects.requireNonNull(accountSid, "accountSid");
    Objects.requireNonNull(actorType, "actorType");
    Objects.requireNonNull(eventType, "eventType");
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(eventDate, "eventDate");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(eventData, "eventData");
    Objects.requireNonNull(prevHash, "prevHash");
    Objects.requireNonNull(hash, "hash");
  }
}
