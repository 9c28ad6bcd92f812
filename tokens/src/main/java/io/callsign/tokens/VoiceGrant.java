package io.callsign.tokens;

import io.callsign.tokens.internal.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Access to Programmable Voice: incoming calls, outgoing calls through a TwiML application, push
 * notifications.
 *
 * <p>Writes {@code incoming.allow} whenever it was set (as twilio-java does), and {@code outgoing}
 * only when an application SID is set (as both official libraries do).
 */
public class VoiceGrant implements Grant {
  private Boolean incomingAllow;
  private String outgoingApplicationSid;
  private Map<String, Object> outgoingApplicationParams;
  private String pushCredentialSid;
  private String endpointId;

  /** Allows or refuses incoming calls to the token's identity. */
  public VoiceGrant setIncomingAllow(Boolean allow) {
    this.incomingAllow = allow;
    return this;
  }

  /** The TwiML application (AP...) that handles outgoing calls. */
  public VoiceGrant setOutgoingApplicationSid(String applicationSid) {
    this.outgoingApplicationSid = applicationSid;
    return this;
  }

  /** The TwiML application for outgoing calls, with parameters passed to it. */
  public VoiceGrant setOutgoingApplication(String applicationSid, Map<String, Object> params) {
    this.outgoingApplicationSid = applicationSid;
    this.outgoingApplicationParams = params == null ? null : new LinkedHashMap<>(params);
    return this;
  }

  /** The push credential (CR...) for incoming-call notifications. */
  public VoiceGrant setPushCredentialSid(String pushCredentialSid) {
    this.pushCredentialSid = pushCredentialSid;
    return this;
  }

  /** The endpoint id that identifies this client. */
  public VoiceGrant setEndpointId(String endpointId) {
    this.endpointId = endpointId;
    return this;
  }

  /** Whether incoming calls are allowed, or null when unset. */
  public Boolean getIncomingAllow() {
    return incomingAllow;
  }

  /** The outgoing TwiML application, or null. */
  public String getOutgoingApplicationSid() {
    return outgoingApplicationSid;
  }

  /** The outgoing application's parameters, or null. */
  public Map<String, Object> getOutgoingApplicationParams() {
    return outgoingApplicationParams;
  }

  /** The push credential, or null. */
  public String getPushCredentialSid() {
    return pushCredentialSid;
  }

  /** The endpoint id, or null. */
  public String getEndpointId() {
    return endpointId;
  }

  @Override
  public String getGrantKey() {
    return "voice";
  }

  @Override
  public Map<String, Object> getPayload() {
    boolean hasOutgoing = outgoingApplicationSid != null && !outgoingApplicationSid.isEmpty();
    boolean hasParams = outgoingApplicationParams != null && !outgoingApplicationParams.isEmpty();
    return JsonObject.of(
        "incoming",
        incomingAllow == null ? null : Map.of("allow", incomingAllow),
        "outgoing",
        hasOutgoing
            ? JsonObject.of(
                "application_sid",
                outgoingApplicationSid,
                "params",
                hasParams ? outgoingApplicationParams : null)
            : null,
        "push_credential_sid",
        pushCredentialSid,
        "endpoint_id",
        endpointId);
  }
}
