package io.callsign.server.accesstokens;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Json;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The parameters of one request, read from a Twilio-style form or from a JSON object, strictly:
 * unknown or repeated parameters, duplicate JSON members and values of the wrong type are refused
 * with 400/20001 naming the parameter as the caller spelled it, so that a typo never silently mints
 * a token without what was meant. JSON {@code null} counts as absent.
 */
final class Params {

  private final boolean json;
  private final Map<Param, JsonNode> values;

  private Params(boolean json, Map<Param, JsonNode> values) {
    this.json = json;
    this.values = values;
  }

  /**
   * The fields of a form body; every value is a string.
   *
   * @throws ApiException 400/20001 for a field not in {@code allowed} or given twice
   */
  static Params form(Map<String, List<String>> fields, Set<Param> allowed) {
    Map<Param, JsonNode> values = new EnumMap<>(Param.class);
    for (Map.Entry<String, List<String>> field : fields.entrySet()) {
      Param param = find(field.getKey(), false, allowed);
      if (field.getValue().size() != 1) {
        throw new ApiException(ApiError.invalidParameter(field.getKey(), "given more than once"));
      }
      values.put(param, Json.STRICT.getNodeFactory().textNode(field.getValue().getFirst()));
    }
    return new Params(false, values);
  }

  /**
   * The members of a JSON object body.
   *
   * @throws ApiException 400/20001 for malformed JSON, a body that is not an object, or a member
   *     not in {@code allowed}
   */
  static Params json(String body, Set<Param> allowed) {
    JsonNode root;
    try {
      root = Json.STRICT.readTree(body);
    } catch (JacksonException e) {
      // Jackson's message quotes the input: it is not echoed.
      throw new ApiException(ApiError.invalidBody("malformed JSON"));
    }
    if (root == null || !root.isObject()) {
      throw new ApiException(ApiError.invalidBody("must be a JSON object"));
    }
    Map<Param, JsonNode> values = new EnumMap<>(Param.class);
    for (Map.Entry<String, JsonNode> member : root.properties()) {
      Param param = find(member.getKey(), true, allowed);
      if (!member.getValue().isNull()) {
        values.put(param, member.getValue());
      }
    }
    return new Params(true, values);
  }

  private static Param find(String name, boolean json, Set<Param> allowed) {
    for (Param p : allowed) {
      if (p.name(json).equals(name)) {
        return p;
      }
    }
    StringBuilder known = new StringBuilder();
    for (Param p : allowed) {
      known.append(known.isEmpty() ? "" : ", ").append(p.name(json));
    }
    throw new ApiException(
        ApiError.invalidParameter(
            ApiError.printable(name), "unknown parameter; expected " + known));
  }

  /** {@code p} as the caller names it: {@code ttl} in JSON, {@code Ttl} in a form. */
  String name(Param p) {
    return p.name(json);
  }

  /** A 400/20001 error naming {@code p}, with why. */
  ApiException invalid(Param p, String why) {
    return new ApiException(ApiError.invalidParameter(name(p), why));
  }

  /** A 400/20001 error naming a member inside {@code p}, e.g. {@code grants.video.room}. */
  ApiException invalid(Param p, String path, String why) {
    return new ApiException(ApiError.invalidParameter(name(p) + "." + path, why));
  }

  /**
   * The text of {@code p}, or {@code null} when absent.
   *
   * @throws ApiException 400/20001 when a JSON value is not a string
   */
  String text(Param p) {
    JsonNode node = values.get(p);
    if (node == null) {
      return null;
    }
    if (!node.isTextual()) {
      throw invalid(p, "must be a string");
    }
    return node.textValue();
  }

  /**
   * The whole number {@code p}, from {@code min} to {@code max}, or {@code null} when absent.
   *
   * @param what how the caller should read the bounds, e.g. "seconds from 1 to 86400"
   * @throws ApiException 400/20001 when it is not a whole number or out of range
   */
  Long integer(Param p, long min, long max, String what) {
    JsonNode node = values.get(p);
    if (node == null) {
      return null;
    }
    Long value = null;
    if (json) {
      if (node.isIntegralNumber() && node.canConvertToLong()) {
        value = node.longValue();
      }
    } else {
      String s = node.textValue();
      if (s.matches("-?[0-9]{1,18}")) {
        value = Long.parseLong(s);
      }
    }
    if (value == null || value < min || value > max) {
      throw invalid(p, "must be a whole number of " + what);
    }
    return value;
  }

  /**
   * The JSON object {@code p}, or {@code null} when absent. In a form it is a string holding the
   * JSON, as the Twilio helper libraries send object parameters.
   *
   * @throws ApiException 400/20001 when it is not a JSON object
   */
  JsonNode object(Param p) {
    JsonNode node = values.get(p);
    if (node == null) {
      return null;
    }
    if (!json) {
      try {
        node = Json.STRICT.readTree(node.textValue());
      } catch (JacksonException e) {
        throw invalid(p, "not JSON");
      }
    }
    if (node == null || !node.isObject()) {
      throw invalid(p, "must be a JSON object");
    }
    return node;
  }
}
