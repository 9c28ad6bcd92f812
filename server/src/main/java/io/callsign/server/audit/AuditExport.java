package io.callsign.server.audit;

import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An event as {@code callsign audit export} writes it and the streaming sink delivers it: every
 * field the hash covers, {@code event_data} as the exact string hashed, and {@code seq}, {@code
 * prev_hash} and {@code hash}, so that a receiver can check the chain on its own.
 */
public final class AuditExport {
  private AuditExport() {}

  /** The exported form of {@code e}, members in a fixed order. */
  public static Map<String, Object> line(AuditEvent e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seq", e.seq());
    m.put("sid", e.sid());
    m.put("account_sid", e.accountSid());
    m.put("actor_sid", e.actorSid());
    m.put("actor_type", e.actorType());
    m.put("event_type", e.eventType());
    m.put("resource_sid", e.resourceSid());
    m.put("resource_type", e.resourceType());
    m.put("source", e.source());
    m.put("source_ip_address", e.sourceIpAddress());
    m.put("user_agent", e.userAgent());
    m.put("event_date", DateTimeFormatter.ISO_INSTANT.format(e.eventDate()));
    m.put("event_date_ms", e.eventDate().toEpochMilli());
    m.put("description", e.description());
    m.put("event_data", e.eventData());
    m.put("prev_hash", e.prevHash());
    m.put("hash", e.hash());
    return m;
  }
}
