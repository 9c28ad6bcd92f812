package io.callsign.tokens.capability;

import java.util.List;

/**
 * The standard sets of TaskRouter {@link Policy} rules, with the method names and order of
 * twilio-java's {@code com.twilio.jwt.taskrouter.PolicyUtils} (twilio-node's {@code util} gives the
 * same lists).
 */
public final class PolicyUtils {
  private PolicyUtils() {}

  /**
   * What a worker needs to run: GET on the workspace's Activities, on {@code Tasks/**}, on its own
   * {@code Reservations/**} and on itself.
   *
   * @throws IllegalArgumentException if a SID is malformed
   */
  public static List<Policy> defaultWorkerPolicies(String workspaceSid, String workerSid) {
    return List.of(
        get(UrlUtils.activities(workspaceSid)),
        get(UrlUtils.allTasks(workspaceSid)),
        get(UrlUtils.allReservations(workspaceSid, workerSid)),
        get(UrlUtils.worker(workspaceSid, workerSid)));
  }

  /**
   * GET and POST on the channel's event bridge (websocket) URL, without which the TaskRouter JS SDK
   * cannot receive events. {@link TaskRouterCapabilityToken.Builder} adds these by default.
   *
   * @param channelId the channel: a worker (WK), task queue (WQ) or workspace (WS) SID
   * @throws IllegalArgumentException if a SID is malformed
   */
  public static List<Policy> defaultEventBridgePolicies(String accountSid, String channelId) {
    String url = UrlUtils.eventBridge(accountSid, channelId);
    return List.of(get(url), new Policy.Builder().url(url).method(HttpMethod.POST).build());
  }

  private static Policy get(String url) {
    return new Policy.Builder().url(url).method(HttpMethod.GET).build();
  }
}
