package io.callsign.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON bodies. Routes build ordered maps with the exact wire names, so nothing is implicit. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  /** The JSON text of {@code value}. */
  public static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot serialise a response body", e);
    }
  }

  /** The Twilio error body of {@code error}. */
  public static Map<String, Object> errorBody(ApiError error) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("code", error.code());
    body.put("message", error.message());
    body.put("more_info", error.moreInfo());
    body.put("status", error.httpStatus());
    return body;
  }
}
