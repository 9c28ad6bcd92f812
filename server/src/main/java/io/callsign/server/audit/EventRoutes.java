package io.callsign.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.PageRequest;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.sid.EventSid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The audit trail, read-only, in the shape of Twilio's Monitor Events API: {@code GET /v1/Events}
 * with the filters {@code ActorSid}, {@code EventType}, {@code ResourceSid}, {@code
 * SourceIpAddress}, {@code StartDate}, {@code EndDate} and v1 paging, newest first; {@code GET
 * /v1/Events/{AE}}. There is no route that changes or deletes an event.
 */
public final class EventRoutes implements Routes {
  private static final String LIST = "/v1/Events";
  private static final String ONE = LIST + "/{sid}";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final List<String> FILTERS =
      List.of("ActorSid", "EventType", "ResourceSid", "SourceIpAddress", "StartDate", "EndDate");

  private final Authenticator authenticator;
  private final AuditStore store;

  /** Routes authenticating with {@code authenticator} and reading {@code store}. */
  public EventRoutes(Authenticator authenticator, AuditStore store) {
    this.authenticator = authenticator;
    this.store = store;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(LIST, this::list);
    routes.get(ONE, this::fetch);
  }

  private Principal caller(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.EVENTS_READ);
    return caller;
  }

  private void list(Context ctx) {
    Principal caller = caller(ctx);
    String account = caller.account().sid().value();
    PageRequest req = PageRequest.parse(ctx::queryParam);
    int size = req.pageSize();
    long page = req.page();
    // PA<seq>: the page of events older than seq; PB<seq>: the page of newer ones.
    Long older = seq(req.after());
    Long newer = seq(req.before());
    if (req.token() != null && older == null && newer == null) {
      throw new ApiException(ApiError.invalidParameter("PageToken"));
    }
    AuditStore.Filter filter =
        new AuditStore.Filter(
            account,
            blankToNull(ctx.queryParam("ActorSid")),
            blankToNull(ctx.queryParam("EventType")),
            blankToNull(ctx.queryParam("ResourceSid")),
            blankToNull(ctx.queryParam("SourceIpAddress")),
            date(ctx.queryParam("StartDate"), "StartDate"),
            date(ctx.queryParam("EndDate"), "EndDate"));
    // One extra row says whether another page follows in the direction of travel.
    List<AuditEvent> rows = store.page(filter, older, newer, size + 1);
    boolean more = rows.size() > size;
    List<AuditEvent> events;
    boolean hasOlder;
    boolean hasNewer;
    if (newer != null && older == null) {
      events = more ? rows.subList(1, rows.size()) : rows;
      hasNewer = more;
      hasOlder = true;
    } else {
      events = more ? rows.subList(0, size) : rows;
      hasOlder = more;
      hasNewer = older != null;
    }
    String filters = filterQuery(ctx);
    String base = WebRoutes.origin(ctx) + LIST + (filters.isEmpty() ? "" : "?" + filters);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("page", page);
    meta.put("page_size", size);
    meta.put("first_page_url", PageRequest.uri(base, size, 0, null));
    meta.put(
        "previous_page_url",
        hasNewer && !events.isEmpty()
            ? PageRequest.uri(
                base, size, Math.max(0, page - 1), PageRequest.PREVIOUS + events.getFirst().seq())
            : null);
    meta.put("url", PageRequest.uri(base, size, page, req.token()));
    meta.put(
        "next_page_url",
        hasOlder && !events.isEmpty()
            ? PageRequest.uri(base, size, page + 1, PageRequest.NEXT + events.getLast().seq())
            : null);
    meta.put("key", "events");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("events", events.stream().map(e -> render(ctx, e)).toList());
    body.put("meta", meta);
    ctx.contentType("application/json").result(Json.write(body));
  }

  private void fetch(Context ctx) {
    Principal caller = caller(ctx);
    String sid = ctx.pathParam("sid");
    AuditEvent e =
        (Sids.isValid(EventSid.PREFIX, sid)
                ? store.find(caller.account().sid().value(), sid)
                : java.util.Optional.<AuditEvent>empty())
            .orElseThrow(() -> new ApiException(ApiError.notFound(ctx.path())));
    ctx.contentType("application/json").result(Json.write(render(ctx, e)));
  }

  /** The Monitor Events representation, plus {@code user_agent}. */
  static Map<String, Object> render(Context ctx, AuditEvent e) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sid", e.sid());
    body.put("account_sid", e.accountSid());
    body.put("actor_sid", e.actorSid());
    body.put("actor_type", e.actorType());
    body.put("description", e.description());
    body.put("event_data", readTree(e.eventData()));
    body.put(
        "event_date",
        DateTimeFormatter.ISO_INSTANT.format(
            e.eventDate().truncatedTo(java.time.temporal.ChronoUnit.SECONDS)));
    body.put("event_type", e.eventType());
    body.put("resource_sid", e.resourceSid());
    body.put("resource_type", e.resourceType());
    body.put("source", e.source());
    body.put("source_ip_address", e.sourceIpAddress());
    body.put("user_agent", e.userAgent());
    body.put("url", WebRoutes.origin(ctx) + LIST + "/" + e.sid());
    body.put("links", Map.of());
    return body;
  }

  private static Object readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("stored event data is not JSON", e);
    }
  }

  private static String filterQuery(Context ctx) {
    StringBuilder q = new StringBuilder();
    for (String name : FILTERS) {
      String v = ctx.queryParam(name);
      if (v != null && !v.isEmpty()) {
        q.append(q.isEmpty() ? "" : "&")
            .append(name)
            .append('=')
            .append(URLEncoder.encode(v, StandardCharsets.UTF_8));
      }
    }
    return q.toString();
  }

  private static String blankToNull(String v) {
    return v == null || v.isEmpty() ? null : v;
  }

  /**
   * An ISO-8601 date-time with an offset or zone ({@code 2026-11-22T10:00:00Z}), one without (UTC),
   * or a date (midnight UTC).
   */
  static Instant date(String raw, String name) {
    if (raw == null || raw.isEmpty()) {
      return null;
    }
    try {
      return EventDates.parse(raw);
    } catch (DateTimeParseException e) {
      throw new ApiException(
          ApiError.invalidParameter(
              name, "an ISO-8601 date or date-time, e.g. 2026-11-22T10:00:00Z"));
    }
  }

  private static Long seq(String position) {
    if (position == null) {
      return null;
    }
    try {
      return Long.parseLong(position);
    } catch (NumberFormatException e) {
      throw new ApiException(ApiError.invalidParameter("PageToken"));
    }
  }
}
