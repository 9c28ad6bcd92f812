package io.callsign.server.http;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A JSON object request body, read strictly: duplicate members, trailing content, unknown members
 * and values of the wrong type are refused with 400/20001 naming the member, so that a typo is
 * never silently ignored. JSON {@code null} counts as absent.
 */
public final class JsonBody {
  private final ObjectNode root;
  private final String prefix;

  private JsonBody(ObjectNode root, String prefix) {
    this.root = root;
    this.prefix = prefix;
  }

  /**
   * Parses {@code body}, allowing only the members in {@code allowed}.
   *
   * @throws ApiException 400/20001 for malformed JSON, a body that is not an object, or an unknown
   *     member
   */
  public static JsonBody parse(String body, Set<String> allowed) {
    JsonNode root;
    try {
      root = body == null || body.isBlank() ? null : Json.STRICT.readTree(body);
    } catch (JacksonException e) {
      // Jackson's message quotes the input: it is not echoed.
      throw new ApiException(ApiError.invalidBody("malformed JSON"));
    }
    if (root == null || !root.isObject()) {
      throw new ApiException(ApiError.invalidBody("must be a JSON object"));
    }
    return checked((ObjectNode) root, "", allowed);
  }

  private static JsonBody checked(ObjectNode root, String prefix, Set<String> allowed) {
    for (var member : root.properties()) {
      String name = member.getKey();
      if (!allowed.contains(name)) {
        throw new ApiException(
            ApiError.invalidParameter(
                ApiError.printable(prefix + name), "unknown member; expected one of " + allowed));
      }
    }
    return new JsonBody(root, prefix);
  }

  /** Whether {@code name} is present and not {@code null}. */
  public boolean has(String name) {
    JsonNode v = root.get(name);
    return v != null && !v.isNull();
  }

  /** The string {@code name}, or {@code null} when absent. */
  public String text(String name) {
    JsonNode v = value(name);
    if (v == null) {
      return null;
    }
    if (!v.isTextual()) {
      throw invalid(name, "must be a string");
    }
    return v.textValue();
  }

  /** The string {@code name}; required and not blank. */
  public String requiredText(String name) {
    String v = text(name);
    if (v == null || v.isBlank()) {
      throw new ApiException(ApiError.missingParameter(prefix + name));
    }
    return v;
  }

  /** The integer {@code name}, or {@code null} when absent. */
  public Long integer(String name) {
    JsonNode v = value(name);
    if (v == null) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw invalid(name, "must be an integer");
    }
    return v.longValue();
  }

  /** The boolean {@code name}, or {@code null} when absent. */
  public Boolean bool(String name) {
    JsonNode v = value(name);
    if (v == null) {
      return null;
    }
    if (!v.isBoolean()) {
      throw invalid(name, "must be true or false");
    }
    return v.booleanValue();
  }

  /** The list of strings {@code name}, or {@code null} when absent. */
  public List<String> texts(String name) {
    JsonNode v = value(name);
    if (v == null) {
      return null;
    }
    if (!v.isArray()) {
      throw invalid(name, "must be a list of strings");
    }
    List<String> out = new ArrayList<>(v.size());
    for (JsonNode item : v) {
      if (!item.isTextual()) {
        throw invalid(name, "must be a list of strings");
      }
      out.add(item.textValue());
    }
    return out;
  }

  /**
   * The object {@code name} with its own allowed members, or {@code null} when absent; errors about
   * its members name them as {@code name.member}.
   */
  public JsonBody object(String name, Set<String> allowed) {
    JsonNode v = value(name);
    if (v == null) {
      return null;
    }
    if (!v.isObject()) {
      throw invalid(name, "must be an object");
    }
    return checked((ObjectNode) v, prefix + name + ".", allowed);
  }

  /** The raw JSON object {@code name} (any members), or {@code null} when absent. */
  public ObjectNode anyObject(String name) {
    JsonNode v = value(name);
    if (v == null) {
      return null;
    }
    if (!v.isObject()) {
      throw invalid(name, "must be an object");
    }
    return (ObjectNode) v;
  }

  /** A 400/20001 error naming member {@code name}, with why. */
  public ApiException invalid(String name, String why) {
    return new ApiException(ApiError.invalidParameter(prefix + name, why));
  }

  private JsonNode value(String name) {
    JsonNode v = root.get(name);
    return v == null || v.isNull() ? null : v;
  }
}
