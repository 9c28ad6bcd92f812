package io.callsign.tokens.capability;

import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.TaskQueueSid;
import io.callsign.tokens.sid.WorkerSid;
import io.callsign.tokens.sid.WorkspaceSid;

/**
 * TaskRouter resource URLs for {@link Policy} rules, with the method names of twilio-java's {@code
 * com.twilio.jwt.taskrouter.UrlUtils}. The {@code all...} forms end in {@code /**}, which covers
 * every sub-resource. SIDs are checked, so a typo cannot produce a policy that never matches.
 */
public final class UrlUtils {
  /** The TaskRouter API root, version included. */
  public static final String TASKROUTER_BASE_URL = "https://taskrouter.twilio.com/v1";

  /** The root of the event bridge (websocket) channel URLs. */
  public static final String EVENT_BRIDGE_BASE_URL =
      "https://event-bridge.twilio.com/v1/wschannels";

  private static final String ALL = "/**";

  private UrlUtils() {}

  /** {@code .../Workspaces}. */
  public static String workspaces() {
    return TASKROUTER_BASE_URL + "/Workspaces";
  }

  /** {@code .../Workspaces/**}. */
  public static String allWorkspaces() {
    return workspaces() + ALL;
  }

  /** {@code .../Workspaces/{WS}}. */
  public static String workspace(String workspaceSid) {
    return workspaces() + "/" + WorkspaceSid.of(workspaceSid).value();
  }

  /** {@code .../Workspaces/{WS}/TaskQueues}. */
  public static String taskQueues(String workspaceSid) {
    return workspace(workspaceSid) + "/TaskQueues";
  }

  /** {@code .../Workspaces/{WS}/TaskQueues/**}. */
  public static String allTaskQueues(String workspaceSid) {
    return taskQueues(workspaceSid) + ALL;
  }

  /** {@code .../Workspaces/{WS}/TaskQueues/{WQ}}. */
  public static String taskQueue(String workspaceSid, String taskQueueSid) {
    return taskQueues(workspaceSid) + "/" + TaskQueueSid.of(taskQueueSid).value();
  }

  /** {@code .../Workspaces/{WS}/Tasks}. */
  public static String tasks(String workspaceSid) {
    return workspace(workspaceSid) + "/Tasks";
  }

  /** {@code .../Workspaces/{WS}/Tasks/**}. */
  public static String allTasks(String workspaceSid) {
    return tasks(workspaceSid) + ALL;
  }

  /** {@code .../Workspaces/{WS}/Tasks/{WT}}. */
  public static String task(String workspaceSid, String taskSid) {
    return tasks(workspaceSid) + "/" + checked("WT", taskSid);
  }

  /** {@code .../Workspaces/{WS}/Activities}. */
  public static String activities(String workspaceSid) {
    return workspace(workspaceSid) + "/Activities";
  }

  /** {@code .../Workspaces/{WS}/Activities/**}. */
  public static String allActivities(String workspaceSid) {
    return activities(workspaceSid) + ALL;
  }

  /** {@code .../Workspaces/{WS}/Activities/{WA}}. */
  public static String activity(String workspaceSid, String activitySid) {
    return activities(workspaceSid) + "/" + checked("WA", activitySid);
  }

  /** {@code .../Workspaces/{WS}/Workers}. */
  public static String workers(String workspaceSid) {
    return workspace(workspaceSid) + "/Workers";
  }

  /** {@code .../Workspaces/{WS}/Workers/**}. */
  public static String allWorkers(String workspaceSid) {
    return workers(workspaceSid) + ALL;
  }

  /** {@code .../Workspaces/{WS}/Workers/{WK}}. */
  public static String worker(String workspaceSid, String workerSid) {
    return workers(workspaceSid) + "/" + WorkerSid.of(workerSid).value();
  }

  /** {@code .../Workspaces/{WS}/Workers/{WK}/Reservations}. */
  public static String reservations(String workspaceSid, String workerSid) {
    return worker(workspaceSid, workerSid) + "/Reservations";
  }

  /** {@code .../Workspaces/{WS}/Workers/{WK}/Reservations/**}. */
  public static String allReservations(String workspaceSid, String workerSid) {
    return reservations(workspaceSid, workerSid) + ALL;
  }

  /** {@code .../Workspaces/{WS}/Workers/{WK}/Reservations/{WR}}. */
  public static String reservation(String workspaceSid, String workerSid, String reservationSid) {
    return reservations(workspaceSid, workerSid) + "/" + checked("WR", reservationSid);
  }

  /**
   * The event bridge (websocket) channel {@code
   * https://event-bridge.twilio.com/v1/wschannels/{AC}/{channel}}.
   */
  public static String eventBridge(String accountSid, String channelId) {
    Sids.check("AC", accountSid);
    TaskRouterCapabilityToken.checkChannelPrefix(channelId);
    return EVENT_BRIDGE_BASE_URL + "/" + accountSid + "/" + channelId;
  }

  private static String checked(String prefix, String sid) {
    Sids.check(prefix, sid);
    return sid;
  }
}
