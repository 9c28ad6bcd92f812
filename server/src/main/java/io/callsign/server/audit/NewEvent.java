package io.callsign.server.audit;

import io.callsign.server.http.Principal;
import io.callsign.server.http.RequestContext;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An event to record; the store gives it its SID, its place in the chain and its hash.
 *
 * @param accountSid the account it happened in
 * @param actorSid who acted, or {@code null}
 * @param actorType see {@link AuditEvent#actorType()}
 * @param eventType e.g. {@code api-key.created}
 * @param resourceSid what it acted on, or {@code null}
 * @param resourceType the kind of resource, or {@code null}
 * @param source see {@link AuditEvent#source()}
 * @param sourceIpAddress the client's address, or {@code null}
 * @param userAgent the client's User-Agent, or {@code null}
 * @param eventDate when it happened
 * @param description what happened, for people
 * @param eventData details; never a secret
 */
public record NewEvent(
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
    Map<String, Object> eventData) {
  /** Copies the data, keeping its order and its {@code null} values (a key without a name). */
  public NewEvent {
    eventData =
        eventData == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(eventData));
  }

  /**
   * An event by the current request's caller in {@code accountSid} (by the system outside a
   * request), happening {@code now}.
   */
  public static NewEvent byCaller(
      String accountSid,
      String eventType,
      String resourceSid,
      String resourceType,
      String description,
      Map<String, Object> data,
      Instant now) {
    RequestContext rc = RequestContext.current();
    Principal p = rc == null ? null : rc.principal();
    String actorSid = null;
    String actorType = rc == null ? "system" : "anonymous";
    String source = rc == null ? "system" : "api";
    if (rc != null && rc.consoleUserSid() != null) {
      actorSid = rc.consoleUserSid();
      actorType = "console-user";
      source = "console";
    } else if (p != null) {
      actorSid = p.keySid() != null ? p.keySid().value() : p.account().sid().value();
      actorType = p.keySid() != null ? "api-key" : "account";
    }
    return new NewEvent(
        accountSid,
        actorSid,
        actorType,
        eventType,
        resourceSid,
        resourceType,
        source,
        rc == null ? null : rc.sourceIpAddress(),
        rc == null ? null : rc.userAgent(),
        now,
        description,
        data);
  }
}
