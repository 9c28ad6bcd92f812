package io.callsign.tokens;

import java.util.Map;

/**
 * One capability inside an Access Token's {@code grants} claim, under its own key.
 *
 * <p>Source-compatible with twilio-java's {@code com.twilio.jwt.accesstoken.Grant}. Payload maps
 * are written as JSON in iteration order; entries whose value is {@code null} are left out.
 */
public interface Grant {
  /** The key of this grant inside {@code grants}, for example {@code video}. */
  String getGrantKey();

  /** The grant's JSON object. */
  Map<String, Object> getPayload();
}
