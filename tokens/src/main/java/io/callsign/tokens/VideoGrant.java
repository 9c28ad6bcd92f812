package io.callsign.tokens;

import io.callsign.tokens.internal.JsonObject;
import java.util.Map;

/** Access to Programmable Video: {@code "video": {"room": ...}}. */
public class VideoGrant implements Grant {
  private String room;

  /** The room name or SID the token may join; unset allows any room. */
  public String getRoom() {
    return room;
  }

  /** Limits the token to one room. */
  public VideoGrant setRoom(String room) {
    this.room = room;
    return this;
  }

  @Override
  public String getGrantKey() {
    return "video";
  }

  @Override
  public Map<String, Object> getPayload() {
    return JsonObject.of("room", room);
  }
}
