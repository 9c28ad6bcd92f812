package io.callsign.server.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.util.LinkedHashMap;
import java.util.Map;

/** JSON bodies. Routes build ordered maps with the exact wire names, so nothing is implicit. */
public final class Json {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  /**
   * The mapper request bodies and tokens are read with: duplicate members and trailing content are
   * refused rather than resolved silently (RFC 8725 section 2.6 for tokens; a typo in a body).
   */
  public static final ObjectMapper STRICT =
      JsonMapper.builder()
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

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
