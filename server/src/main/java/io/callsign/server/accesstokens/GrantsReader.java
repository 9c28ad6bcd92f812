package io.callsign.server.accesstokens;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.Json;
import io.callsign.tokens.ChatGrant;
import io.callsign.tokens.Grant;
import io.callsign.tokens.PlaybackGrant;
import io.callsign.tokens.SyncGrant;
import io.callsign.tokens.TaskRouterGrant;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.VoiceGrant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code grants} parameter: an object whose members are named exactly as inside a token's
 * {@code grants} claim (twilio-wire.md 5.2), each read into the library's grant class. Unknown
 * grants and fields, and fields of the wrong type, are refused with 400/20001 naming them, e.g.
 * {@code grants.video.room}.
 */
final class GrantsReader {
  /** Deepest nesting accepted inside the free-form objects (player, voice params). */
  static final int MAX_DEPTH = 8;

  private static final String KNOWN = "video, voice, chat, data_sync, task_router or player";
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private final Params params;

  private GrantsReader(Params params) {
    this.params = params;
  }

  /** The grants in {@code grants}, an object, in the order given. */
  static List<Grant> read(JsonNode grants, Params params) {
    GrantsReader reader = new GrantsReader(params);
    List<Grant> out = new ArrayList<>();
    for (Map.Entry<String, JsonNode> member : grants.properties()) {
      out.add(reader.grant(member.getKey(), member.getValue()));
    }
    return out;
  }

  private Grant grant(String name, JsonNode body) {
    if (name.equals("identity")) {
      throw params.invalid(
          Param.GRANTS, name, "the identity is a parameter of its own, not a grant");
    }
    if (!Set.of("video", "voice", "chat", "data_sync", "task_router", "player").contains(name)) {
      throw params.invalid(
          Param.GRANTS, ApiError.printable(name), "unknown grant; expected " + KNOWN);
    }
    Fields f = new Fields(name, body);
    return switch (name) {
      case "video" -> {
        f.only("room");
        yield new VideoGrant().setRoom(f.text("room"));
      }
      case "voice" -> voice(f);
      case "chat" -> {
        f.only("service_sid", "endpoint_id", "deployment_role_sid", "push_credential_sid");
        yield new ChatGrant()
            .setServiceSid(f.text("service_sid"))
            .setEndpointId(f.text("endpoint_id"))
            .setDeploymentRoleSid(f.text("deployment_role_sid"))
            .setPushCredentialSid(f.text("push_credential_sid"));
      }
      case "data_sync" -> {
        f.only("service_sid", "endpoint_id");
        yield new SyncGrant()
            .setServiceSid(f.text("service_sid"))
            .setEndpointId(f.text("endpoint_id"));
      }
      case "task_router" -> {
        f.only("workspace_sid", "worker_sid", "role");
        yield new TaskRouterGrant()
            .setWorkspaceSid(f.text("workspace_sid"))
            .setWorkerSid(f.text("worker_sid"))
            .setRole(f.text("role"));
      }
      // Opaque: passed through as given (twilio-wire.md 5.2).
      default -> new PlaybackGrant().setGrant(map(f.path, body));
    };
  }

  private VoiceGrant voice(Fields f) {
    f.only("incoming", "outgoing", "push_credential_sid", "endpoint_id");
    VoiceGrant grant =
        new VoiceGrant()
            .setPushCredentialSid(f.text("push_credential_sid"))
            .setEndpointId(f.text("endpoint_id"));
    Fields incoming = f.object("incoming");
    if (incoming != null) {
      incoming.only("allow");
      grant.setIncomingAllow(incoming.bool("allow"));
    }
    Fields outgoing = f.object("outgoing");
    if (outgoing != null) {
      outgoing.only("application_sid", "params");
      String app = outgoing.text("application_sid");
      if (app == null || app.isEmpty()) {
        throw params.invalid(
            Param.GRANTS, outgoing.path + ".application_sid", "required with outgoing");
      }
      JsonNode p = outgoing.body.get("params");
      grant.setOutgoingApplication(
          app, p == null || p.isNull() ? null : map(outgoing.path + ".params", p));
    }
    return grant;
  }

  private Map<String, Object> map(String path, JsonNode node) {
    if (!node.isObject()) {
      throw params.invalid(Param.GRANTS, path, "must be a JSON object");
    }
    if (depth(node) > MAX_DEPTH) {
      throw params.invalid(Param.GRANTS, path, "nested more than " + MAX_DEPTH + " levels deep");
    }
    return Json.STRICT.convertValue(node, MAP);
  }

  private static int depth(JsonNode node) {
    int deepest = 0;
    for (JsonNode child : node) {
      deepest = Math.max(deepest, depth(child));
    }
    return node.isContainerNode() ? deepest + 1 : 0;
  }

  /** One JSON object inside {@code grants}, at {@code path} (e.g. {@code voice.outgoing}). */
  private final class Fields {
    final String path;
    final JsonNode body;

    Fields(String path, JsonNode body) {
      if (!body.isObject()) {
        throw params.invalid(Param.GRANTS, path, "must be a JSON object");
      }
      this.path = path;
      this.body = body;
    }

    void only(String... names) {
      Set<String> allowed = Set.of(names);
      for (Map.Entry<String, JsonNode> member : body.properties()) {
        if (!allowed.contains(member.getKey())) {
          throw params.invalid(
              Param.GRANTS,
              path + "." + ApiError.printable(member.getKey()),
              "unknown field; expected " + String.join(", ", names));
        }
      }
    }

    String text(String name) {
      JsonNode value = body.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (!value.isTextual()) {
        throw params.invalid(Param.GRANTS, path + "." + name, "must be a string");
      }
      return value.textValue();
    }

    Boolean bool(String name) {
      JsonNode value = body.get(name);
      if (value == null || value.isNull()) {
        return null;
      }
      if (!value.isBoolean()) {
        throw params.invalid(Param.GRANTS, path + "." + name, "must be true or false");
      }
      return value.booleanValue();
    }

    Fields object(String name) {
      JsonNode value = body.get(name);
      return value == null || value.isNull() ? null : new Fields(path + "." + name, value);
    }
  }
}
