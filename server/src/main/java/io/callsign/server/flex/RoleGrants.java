package io.callsign.server.flex;

import io.callsign.server.http.JsonBody;
import io.callsign.tokens.sid.ApplicationSid;
import io.callsign.tokens.sid.ServiceSid;
import io.callsign.tokens.sid.Sids;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The Access Token grants that the end-user token server ({@code POST /token}) gives a user holding
 * a role. Each part is optional; {@code null} means the role grants nothing of that kind.
 *
 * @param videoRoom the Video room, or {@code ""} for any room, or {@code null}
 * @param voice the Voice grant, or {@code null}
 * @param chatServiceSid the Conversations/Chat service ({@code IS...}), or {@code null}
 * @param syncServiceSid the Sync service ({@code IS...}), or {@code null}
 * @param taskRouter whether to grant the user's own TaskRouter worker in the instance's workspace
 */
public record RoleGrants(
    String videoRoom,
    Voice voice,
    String chatServiceSid,
    String syncServiceSid,
    boolean taskRouter) {
  /** No grants at all. */
  public static final RoleGrants NONE = new RoleGrants(null, null, null, null, false);

  /** The default of the built-in roles: the user's TaskRouter worker, nothing else. */
  public static final RoleGrants WORKER = new RoleGrants(null, null, null, null, true);

  private static final Set<String> KINDS =
      Set.of("video", "voice", "chat", "data_sync", "task_router");

  /**
   * The Voice grant.
   *
   * @param outgoingApplicationSid the TwiML application for outgoing calls ({@code AP...}), or
   *     {@code null}
   * @param incomingAllow whether the user may receive calls
   */
  public record Voice(String outgoingApplicationSid, boolean incomingAllow) {}

  /**
   * Reads the {@code grants} object of a role, e.g. {@code {"voice": {"outgoing_application_sid":
   * "AP...", "incoming_allow": true}, "task_router": true}}.
   *
   * @throws io.callsign.server.http.ApiException 400/20001 naming the member that is wrong
   */
  static RoleGrants parse(JsonBody body, String name) {
    JsonBody g = body.object(name, KINDS);
    if (g == null) {
      return null;
    }
    String room = null;
    JsonBody video = g.object("video", Set.of("room"));
    if (video != null) {
      room = video.text("room");
      room = room == null ? "" : room;
      if (room.length() > 128) {
        throw video.invalid("room", "at most 128 characters");
      }
    }
    Voice voice = null;
    JsonBody v = g.object("voice", Set.of("outgoing_application_sid", "incoming_allow"));
    if (v != null) {
      String app = v.text("outgoing_application_sid");
      if (app != null && !Sids.isValid(ApplicationSid.PREFIX, app)) {
        throw v.invalid("outgoing_application_sid", "must be an AP SID");
      }
      Boolean incoming = v.bool("incoming_allow");
      voice = new Voice(app, incoming != null && incoming);
    }
    String chat = serviceSid(g, "chat");
    String sync = serviceSid(g, "data_sync");
    Boolean taskRouter = g.bool("task_router");
    return new RoleGrants(room, voice, chat, sync, taskRouter != null && taskRouter);
  }

  private static String serviceSid(JsonBody g, String kind) {
    JsonBody s = g.object(kind, Set.of("service_sid"));
    if (s == null) {
      return null;
    }
    String sid = s.requiredText("service_sid");
    if (!Sids.isValid(ServiceSid.PREFIX, sid)) {
      throw s.invalid("service_sid", "must be an IS SID");
    }
    return sid;
  }

  /** The wire form, as {@link #parse} reads it. */
  public Map<String, Object> toJson() {
    Map<String, Object> out = new LinkedHashMap<>();
    if (videoRoom != null) {
      out.put("video", videoRoom.isEmpty() ? Map.of() : Map.of("room", videoRoom));
    }
    if (voice != null) {
      Map<String, Object> v = new LinkedHashMap<>();
      if (voice.outgoingApplicationSid() != null) {
        v.put("outgoing_application_sid", voice.outgoingApplicationSid());
      }
      v.put("incoming_allow", voice.incomingAllow());
      out.put("voice", v);
    }
    if (chatServiceSid != null) {
      out.put("chat", Map.of("service_sid", chatServiceSid));
    }
    if (syncServiceSid != null) {
      out.put("data_sync", Map.of("service_sid", syncServiceSid));
    }
    out.put("task_router", taskRouter);
    return out;
  }
}
