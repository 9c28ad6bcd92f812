package io.callsign.cli;

import io.callsign.tokens.ChatGrant;
import io.callsign.tokens.Grant;
import io.callsign.tokens.PlaybackGrant;
import io.callsign.tokens.SyncGrant;
import io.callsign.tokens.TaskRouterGrant;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.VoiceGrant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Parses {@code --grant KIND:field=value,field=value} into a grant. Kinds and fields use the
 * token's JSON names: {@code video:room=R}, {@code
 * voice:outgoing_application_sid=AP..,incoming_allow=true}, {@code chat:service_sid=IS..}, {@code
 * data_sync:service_sid=IS..} (or {@code sync:}), {@code
 * task_router:workspace_sid=WS..,worker_sid=WK..,role=worker}, {@code player:playbackUrl=..} (any
 * fields). Voice parameters for the outgoing application are {@code outgoing_params.NAME=value}.
 */
final class GrantSpec implements ITypeConverter<Grant> {
  @Override
  public Grant convert(String spec) {
    int colon = spec.indexOf(':');
    String kind = (colon < 0 ? spec : spec.substring(0, colon)).toLowerCase(Locale.ROOT);
    Map<String, String> fields = fields(colon < 0 ? "" : spec.substring(colon + 1));
    return switch (kind) {
      case "video" -> {
        VideoGrant g = new VideoGrant();
        apply(kind, fields, Map.of("room", (k, v) -> g.setRoom(v)));
        yield g;
      }
      case "chat" -> {
        ChatGrant g = new ChatGrant();
        apply(
            kind,
            fields,
            Map.of(
                "service_sid", (k, v) -> g.setServiceSid(v),
                "endpoint_id", (k, v) -> g.setEndpointId(v),
                "deployment_role_sid", (k, v) -> g.setDeploymentRoleSid(v),
                "push_credential_sid", (k, v) -> g.setPushCredentialSid(v)));
        yield g;
      }
      case "data_sync", "sync" -> {
        SyncGrant g = new SyncGrant();
        apply(
            kind,
            fields,
            Map.of(
                "service_sid", (k, v) -> g.setServiceSid(v),
                "endpoint_id", (k, v) -> g.setEndpointId(v)));
        yield g;
      }
      case "task_router", "taskrouter" -> {
        TaskRouterGrant g = new TaskRouterGrant();
        apply(
            kind,
            fields,
            Map.of(
                "workspace_sid", (k, v) -> g.setWorkspaceSid(v),
                "worker_sid", (k, v) -> g.setWorkerSid(v),
                "role", (k, v) -> g.setRole(v)));
        yield g;
      }
      case "voice" -> voice(fields);
      case "player" -> new PlaybackGrant().setGrant(new LinkedHashMap<>(fields));
      default ->
          throw new TypeConversionException(
              "unknown grant kind '"
                  + kind
                  + "': use video, voice, chat, data_sync, task_router or player");
    };
  }

  private static Grant voice(Map<String, String> fields) {
    VoiceGrant g = new VoiceGrant();
    String applicationSid = null;
    Map<String, Object> params = new LinkedHashMap<>();
    for (Map.Entry<String, String> field : fields.entrySet()) {
      String name = field.getKey();
      String value = field.getValue();
      switch (name) {
        case "outgoing_application_sid" -> applicationSid = value;
        case "incoming_allow" -> g.setIncomingAllow(bool(name, value));
        case "push_credential_sid" -> g.setPushCredentialSid(value);
        case "endpoint_id" -> g.setEndpointId(value);
        default -> {
          if (!name.startsWith("outgoing_params.") || name.length() == 16) {
            throw unknownField(
                "voice",
                name,
                Set.of(
                    "outgoing_application_sid",
                    "outgoing_params.NAME",
                    "incoming_allow",
                    "push_credential_sid",
                    "endpoint_id"));
          }
          params.put(name.substring(16), value);
        }
      }
    }
    if (applicationSid == null && !params.isEmpty()) {
      throw new TypeConversionException("voice: outgoing_params need outgoing_application_sid");
    }
    if (applicationSid != null) {
      g.setOutgoingApplication(applicationSid, params);
    }
    return g;
  }

  private static void apply(
      String kind, Map<String, String> fields, Map<String, BiConsumer<String, String>> setters) {
    fields.forEach(
        (name, value) -> {
          BiConsumer<String, String> setter = setters.get(name);
          if (setter == null) {
            throw unknownField(kind, name, setters.keySet());
          }
          setter.accept(name, value);
        });
  }

  private static Map<String, String> fields(String text) {
    Map<String, String> fields = new LinkedHashMap<>();
    if (text.isEmpty()) {
      return fields;
    }
    for (String pair : text.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new TypeConversionException("expected field=value, got '" + pair + "'");
      }
      if (fields.put(pair.substring(0, eq), pair.substring(eq + 1)) != null) {
        throw new TypeConversionException("field '" + pair.substring(0, eq) + "' given twice");
      }
    }
    return fields;
  }

  private static boolean bool(String name, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new TypeConversionException(name + " must be true or false");
    };
  }

  private static TypeConversionException unknownField(String kind, String name, Set<String> known) {
    return new TypeConversionException(
        "unknown "
            + kind
            + " field '"
            + name
            + "'; known: "
            + String.join(", ", known.stream().sorted().toList()));
  }
}
