package io.callsign.server.keys;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A restricted key's policy: the permissions it allows, e.g. {@code
 * {"allow":["/twilio/iam/access-tokens/introspect"]}}.
 *
 * <p>Any well-formed permission name is kept, including those of Twilio products Callsign does not
 * serve, so that policies written for Twilio load unchanged; Callsign enforces the names of its own
 * {@link io.callsign.server.http.Permission}s.
 *
 * @param allow the allowed permission names, in the order given, without duplicates
 */
public record Policy(List<String> allow) {
  /** Twilio's limit of permissions per restricted key (twilio-wire.md 2.1). */
  public static final int MAX_PERMISSIONS = 100;

  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern NAME = Pattern.compile("(/[a-z0-9][a-z0-9_-]{0,63}){2,8}");
  private static final String PARAMETER = "Policy";

  /** Checks the list and keeps an unmodifiable copy. */
  public Policy {
    allow = List.copyOf(allow);
  }

  /**
   * Parses the {@code Policy} form field.
   *
   * @throws ApiException 400/20001 naming what is wrong
   */
  public static Policy parse(String json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw invalid("not JSON");
    }
    if (root == null || !root.isObject()) {
      throw invalid("must be a JSON object");
    }
    for (Map.Entry<String, JsonNode> field : root.properties()) {
      if (!field.getKey().equals("allow")) {
        throw invalid("unknown member \"" + field.getKey() + "\"; only \"allow\" is supported");
      }
    }
    JsonNode allow = root.get("allow");
    if (allow == null || !allow.isArray() || allow.isEmpty()) {
      throw invalid("\"allow\" must list at least one permission");
    }
    Set<String> names = new LinkedHashSet<>();
    for (JsonNode item : allow) {
      if (!item.isTextual() || !NAME.matcher(item.textValue()).matches()) {
        throw invalid("each permission is a path such as /twilio/iam/access-tokens/introspect");
      }
      names.add(item.textValue());
    }
    if (names.size() > MAX_PERMISSIONS) {
      throw invalid("at most " + MAX_PERMISSIONS + " permissions");
    }
    return new Policy(new ArrayList<>(names));
  }

  /** Whether the policy lists {@code permission}. */
  public boolean allows(String permission) {
    return allow.contains(permission);
  }

  /** The JSON form, as stored and sent: {@code {"allow":[...]}}. */
  public String json() {
    try {
      return MAPPER.writeValueAsString(Map.of("allow", allow));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static ApiException invalid(String why) {
    return new ApiException(ApiError.invalidParameter(PARAMETER, why));
  }
}
