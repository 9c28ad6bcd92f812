package io.callsign.tokens;

import java.util.LinkedHashMap;
import java.util.Map;

/** Builds grant payloads that leave out unset fields, as the official libraries do. */
final class GrantPayload {
  private GrantPayload() {}

  /** A map of the given name/value pairs, in order, without the pairs whose value is null. */
  static Map<String, Object> of(Object... namesAndValues) {
    Map<String, Object> payload = new LinkedHashMap<>();
    for (int i = 0; i < namesAndValues.length; i += 2) {
      if (namesAndValues[i + 1] != null) {
        payload.put((String) namesAndValues[i], namesAndValues[i + 1]);
      }
    }
    return payload;
  }
}
