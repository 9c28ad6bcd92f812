package io.callsign.tokens;

import io.callsign.tokens.internal.JsonObject;
import java.util.Map;

/** Access to Sync: {@code "data_sync": {"service_sid": ..., "endpoint_id": ...}}. */
public class SyncGrant implements Grant {
  private String serviceSid;
  private String endpointId;

  /** The Sync service (IS...). */
  public String getServiceSid() {
    return serviceSid;
  }

  /** Sets the Sync service (IS...). */
  public SyncGrant setServiceSid(String serviceSid) {
    this.serviceSid = serviceSid;
    return this;
  }

  /** The endpoint id that identifies this client. */
  public String getEndpointId() {
    return endpointId;
  }

  /** Sets the endpoint id that identifies this client. */
  public SyncGrant setEndpointId(String endpointId) {
    this.endpointId = endpointId;
    return this;
  }

  @Override
  public String getGrantKey() {
    return "data_sync";
  }

  @Override
  public Map<String, Object> getPayload() {
    return JsonObject.of("service_sid", serviceSid, "endpoint_id", endpointId);
  }
}
