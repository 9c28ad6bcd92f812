package io.callsign.tokens;

import io.callsign.tokens.internal.JsonObject;
import java.util.Map;

/** Access to TaskRouter: {@code "task_router": {"workspace_sid", "worker_sid", "role"}}. */
public class TaskRouterGrant implements Grant {
  private String workspaceSid;
  private String workerSid;
  private String role;

  /** The workspace (WS...). */
  public String getWorkspaceSid() {
    return workspaceSid;
  }

  /** Sets the workspace (WS...). */
  public TaskRouterGrant setWorkspaceSid(String workspaceSid) {
    this.workspaceSid = workspaceSid;
    return this;
  }

  /** The worker (WK...). */
  public String getWorkerSid() {
    return workerSid;
  }

  /** Sets the worker (WK...). */
  public TaskRouterGrant setWorkerSid(String workerSid) {
    this.workerSid = workerSid;
    return this;
  }

  /** The role, for example {@code worker}. */
  public String getRole() {
    return role;
  }

  /** Sets the role, for example {@code worker}. */
  public TaskRouterGrant setRole(String role) {
    this.role = role;
    return this;
  }

  @Override
  public String getGrantKey() {
    return "task_router";
  }

  @Override
  public Map<String, Object> getPayload() {
    return JsonObject.of("workspace_sid", workspaceSid, "worker_sid", workerSid, "role", role);
  }
}
