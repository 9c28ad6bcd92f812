package io.callsign.tokens;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Access to a Live player stream: {@code "player": {...}}, an object passed through unchanged (as
 * returned by the PlaybackGrant resource, e.g. {@code playbackUrl}, {@code playerStreamerSid}).
 */
public class PlaybackGrant implements Grant {
  private Map<String, Object> grant = Map.of();

  /** The grant object as given. */
  public Map<String, Object> getGrant() {
    return grant;
  }

  /** Sets the grant object; it is copied. */
  public PlaybackGrant setGrant(Map<String, Object> grant) {
    this.grant = grant == null ? Map.of() : new LinkedHashMap<>(grant);
    return this;
  }

  @Override
  public String getGrantKey() {
    return "player";
  }

  @Override
  public Map<String, Object> getPayload() {
    return grant;
  }
}
