package io.callsign.tokens;

import io.callsign.tokens.internal.JsonObject;
import java.util.Map;

/** Access to Chat and Conversations: {@code "chat": {"service_sid": ..., ...}}. */
public class ChatGrant implements Grant {
  private String serviceSid;
  private String endpointId;
  private String deploymentRoleSid;
  private String pushCredentialSid;

  /** The Chat or Conversations service (IS...). */
  public String getServiceSid() {
    return serviceSid;
  }

  /** Sets the Chat or Conversations service (IS...). */
  public ChatGrant setServiceSid(String serviceSid) {
    this.serviceSid = serviceSid;
    return this;
  }

  /** The endpoint id that identifies this client. */
  public String getEndpointId() {
    return endpointId;
  }

  /** Sets the endpoint id that identifies this client. */
  public ChatGrant setEndpointId(String endpointId) {
    this.endpointId = endpointId;
    return this;
  }

  /** The deployment role (RL...) given to the user. */
  public String getDeploymentRoleSid() {
    return deploymentRoleSid;
  }

  /** Sets the deployment role (RL...) given to the user. */
  public ChatGrant setDeploymentRoleSid(String deploymentRoleSid) {
    this.deploymentRoleSid = deploymentRoleSid;
    return this;
  }

  /** The push credential (CR...) for notifications. */
  public String getPushCredentialSid() {
    return pushCredentialSid;
  }

  /** Sets the push credential (CR...) for notifications. */
  public ChatGrant setPushCredentialSid(String pushCredentialSid) {
    this.pushCredentialSid = pushCredentialSid;
    return this;
  }

  @Override
  public String getGrantKey() {
    return "chat";
  }

  @Override
  public Map<String, Object> getPayload() {
    return JsonObject.of(
        "service_sid",
        serviceSid,
        "endpoint_id",
        endpointId,
        "deployment_role_sid",
        deploymentRoleSid,
        "push_credential_sid",
        pushCredentialSid);
  }
}
