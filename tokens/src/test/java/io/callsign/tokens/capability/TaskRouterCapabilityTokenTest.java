package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.AUTH_TOKEN;
import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.QUEUE;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKER;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKSPACE;
import static io.callsign.tokens.capability.CapabilityTestSupport.clockAt;
import static io.callsign.tokens.capability.CapabilityTestSupport.headerJson;
import static io.callsign.tokens.capability.CapabilityTestSupport.payload;
import static io.callsign.tokens.capability.CapabilityTestSupport.payloadJson;
import static io.callsign.tokens.capability.CapabilityTestSupport.verifierAt;
import static io.callsign.tokens.capability.CapabilityTestSupport.worker;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TaskRouterCapabilityTokenTest {
  private static final String BASE = "https://taskrouter.twilio.com/v1/Workspaces/" + WORKSPACE;
  private static final String BRIDGE =
      "https://event-bridge.twilio.com/v1/wschannels/" + ACCOUNT + "/" + WORKER;

  private static Policy get(String url) {
    return new Policy.Builder().url(url).method(HttpMethod.GET).build();
  }

  @Test
  void toJwtWhenWorkerThenHeaderAndPayloadAreCanonical() {
    String jwt =
        worker()
            .friendlyName("Alice")
            .policy(
                new Policy.Builder()
                    .url(UrlUtils.worker(WORKSPACE, WORKER))
                    .method(HttpMethod.POST)
                    .postFilter(Map.of("ActivitySid", FilterRequirement.REQUIRED))
                    .build())
            .build()
            .toJwt();

    assertThat(headerJson(jwt)).isEqualTo("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    String emptyFilters = "\"query_filter\":{},\"post_filter\":{}}";
    assertThat(payloadJson(jwt))
        .isEqualTo(
            "{\"iss\":\""
                + ACCOUNT
                + "\",\"iat\":"
                + NOW
                + ",\"exp\":"
                + (NOW + 3600)
                + ",\"version\":\"v1\",\"account_sid\":\""
                + ACCOUNT
                + "\",\"workspace_sid\":\""
                + WORKSPACE
                + "\",\"channel\":\""
                + WORKER
                + "\",\"worker_sid\":\""
                + WORKER
                + "\",\"friendly_name\":\"Alice\",\"policies\":["
                + "{\"url\":\""
                + BASE
                + "/Workers/"
                + WORKER
                + "\",\"method\":\"POST\",\"allow\":true,\"query_filter\":{},"
                + "\"post_filter\":{\"ActivitySid\":{\"required\":true}}},"
                + "{\"url\":\""
                + BRIDGE
                + "\",\"method\":\"GET\",\"allow\":true,"
                + emptyFilters
                + ",{\"url\":\""
                + BRIDGE
                + "\",\"method\":\"POST\",\"allow\":true,"
                + emptyFilters
                + "]}");
  }

  @Test
  void buildWhenEventBridgePoliciesAlreadyGivenThenNotDuplicated() {
    TaskRouterCapabilityToken token =
        worker().policies(PolicyUtils.defaultEventBridgePolicies(ACCOUNT, WORKER)).build();

    assertThat(token.getPolicies())
        .containsExactlyElementsOf(PolicyUtils.defaultEventBridgePolicies(ACCOUNT, WORKER));
  }

  @Test
  void buildWhenEventBridgePoliciesDisabledThenOnlyGivenPoliciesAreWritten() {
    TaskRouterCapabilityToken token =
        worker().eventBridgePolicies(false).policy(get(UrlUtils.activities(WORKSPACE))).build();

    assertThat(token.getPolicies()).containsExactly(get(UrlUtils.activities(WORKSPACE)));
  }

  @Test
  void buildWhenTaskQueueChannelThenWritesTaskqueueSidOnly() {
    String jwt =
        new TaskRouterCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN, WORKSPACE, QUEUE)
            .clock(clockAt(NOW))
            .build()
            .toJwt();

    assertThat(payload(jwt)).containsEntry("taskqueue_sid", QUEUE).doesNotContainKey("worker_sid");
  }

  @Test
  void buildWhenWorkspaceChannelThenWritesNeitherChannelSidClaim() {
    String jwt =
        new TaskRouterCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKSPACE)
            .clock(clockAt(NOW))
            .build()
            .toJwt();

    assertThat(payload(jwt))
        .doesNotContainKeys("worker_sid", "taskqueue_sid", "friendly_name")
        .containsEntry("channel", WORKSPACE);
  }

  @Test
  void policiesWhenCalledTwiceThenReplacesLikeTwilioJava() {
    TaskRouterCapabilityToken token =
        worker()
            .eventBridgePolicies(false)
            .policies(List.of(get(UrlUtils.allTasks(WORKSPACE))))
            .policies(List.of(get(UrlUtils.activities(WORKSPACE))))
            .build();

    assertThat(token.getPolicies()).containsExactly(get(UrlUtils.activities(WORKSPACE)));
  }

  @Test
  void policiesWhenListMutatedAfterwardsThenTokenIsUnchanged() {
    List<Policy> policies = new ArrayList<>(List.of(get(UrlUtils.allTasks(WORKSPACE))));
    TaskRouterCapabilityToken.Builder builder = worker().eventBridgePolicies(false);
    builder.policies(policies);
    policies.add(get(UrlUtils.activities(WORKSPACE)));

    assertThat(builder.build().getPolicies()).hasSize(1);
  }

  @Test
  void defaultWorkerPoliciesWhenCalledThenMatchTheOfficialUrlsAndOrder() {
    assertThat(PolicyUtils.defaultWorkerPolicies(WORKSPACE, WORKER))
        .containsExactly(
            get(BASE + "/Activities"),
            get(BASE + "/Tasks/**"),
            get(BASE + "/Workers/" + WORKER + "/Reservations/**"),
            get(BASE + "/Workers/" + WORKER));
  }

  @Test
  void defaultEventBridgePoliciesWhenCalledThenGetAndPostOnTheChannel() {
    assertThat(PolicyUtils.defaultEventBridgePolicies(ACCOUNT, WORKER))
        .containsExactly(
            get(BRIDGE), new Policy.Builder().url(BRIDGE).method(HttpMethod.POST).build());
  }

  @Test
  void urlUtilsWhenCalledThenBuildsTheSection7Patterns() {
    assertThat(UrlUtils.workspace(WORKSPACE)).isEqualTo(BASE);
    assertThat(UrlUtils.allWorkspaces())
        .isEqualTo("https://taskrouter.twilio.com/v1/Workspaces/**");
    assertThat(UrlUtils.taskQueue(WORKSPACE, QUEUE)).isEqualTo(BASE + "/TaskQueues/" + QUEUE);
    assertThat(UrlUtils.allTaskQueues(WORKSPACE)).isEqualTo(BASE + "/TaskQueues/**");
    assertThat(UrlUtils.allWorkers(WORKSPACE)).isEqualTo(BASE + "/Workers/**");
    assertThat(UrlUtils.allActivities(WORKSPACE)).isEqualTo(BASE + "/Activities/**");
    String task = "WT" + "a".repeat(32);
    String activity = "WA" + "b".repeat(32);
    String reservation = "WR" + "c".repeat(32);
    assertThat(UrlUtils.task(WORKSPACE, task)).isEqualTo(BASE + "/Tasks/" + task);
    assertThat(UrlUtils.activity(WORKSPACE, activity)).isEqualTo(BASE + "/Activities/" + activity);
    assertThat(UrlUtils.reservation(WORKSPACE, WORKER, reservation))
        .isEqualTo(BASE + "/Workers/" + WORKER + "/Reservations/" + reservation);
    assertThat(UrlUtils.eventBridge(ACCOUNT, WORKER)).isEqualTo(BRIDGE);
  }

  @Test
  void policyBuilderWhenDefaultsThenAllowedWithEmptyFilters() {
    Policy policy = get(BASE);

    assertThat(policy.allowed()).isTrue();
    assertThat(policy.queryFilter()).isEmpty();
    assertThat(policy.postFilter()).isEmpty();
  }

  @Test
  void verifyWhenMintedByUsThenEverythingRoundTrips() throws Exception {
    TaskRouterCapabilityToken token =
        worker()
            .friendlyName("Älice ☎")
            .ttl(600)
            .policies(PolicyUtils.defaultWorkerPolicies(WORKSPACE, WORKER))
            .policy(
                new Policy.Builder()
                    .url(UrlUtils.allTasks(WORKSPACE))
                    .method(HttpMethod.DELETE)
                    .allowed(false)
                    .queryFilter(Map.of("Status", FilterRequirement.OPTIONAL))
                    .postFilter(Map.of("ActivitySid", FilterRequirement.REQUIRED))
                    .build())
            .build();

    VerifiedTaskRouterCapability verified =
        verifierAt(NOW).verifyTaskRouterCapability(token.toJwt());

    assertThat(verified.policies()).isEqualTo(token.getPolicies()).hasSize(7);
    assertThat(verified.accountSid()).isEqualTo(ACCOUNT);
    assertThat(verified.workspaceSid()).isEqualTo(WORKSPACE);
    assertThat(verified.channelId()).isEqualTo(WORKER);
    assertThat(verified.workerSid()).contains(WORKER);
    assertThat(verified.taskQueueSid()).isEmpty();
    assertThat(verified.friendlyName()).contains("Älice ☎");
    assertThat(verified.expiresAt()).isEqualTo(token.getExpiration());
    assertThat(verified.issuedAt()).contains(token.getIssuedAt());
    assertThat(verified.notBefore()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Refusals

  @ParameterizedTest
  @ValueSource(
      strings = {
        "AP00000000000000000000000000000001",
        "WS00000000000000000000000000000009",
        "WK123",
        "",
        "wk00000000000000000000000000000002"
      })
  void builderWhenChannelDoesNotFitThenRefused(String channel) {
    assertThatThrownBy(
            () -> new TaskRouterCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN, WORKSPACE, channel))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderWhenWorkspaceOrAccountMalformedThenRefused() {
    assertThatThrownBy(
            () -> new TaskRouterCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN, WORKER, WORKER))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new TaskRouterCapabilityToken.Builder("AC1", AUTH_TOKEN, WORKSPACE, WORKER))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderWhenAuthTokenShortThenRefused() {
    assertThatThrownBy(
            () -> new TaskRouterCapabilityToken.Builder(ACCOUNT, "short", WORKSPACE, WORKER))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, -60, 86_401})
  void ttlWhenOutOfRangeThenRefused(int ttl) {
    assertThatThrownBy(() -> worker().ttl(ttl)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void friendlyNameWhenControlCharacterThenRefused() {
    assertThatThrownBy(() -> worker().friendlyName("a\nb"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void policyWhenUrlOrMethodMissingThenRefused() {
    assertThatThrownBy(() -> new Policy.Builder().method(HttpMethod.GET).build())
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new Policy.Builder().url("").method(HttpMethod.GET).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Policy.Builder().url(BASE).build())
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void policyWhenFilterNameEmptyThenRefused() {
    assertThatThrownBy(
            () ->
                new Policy.Builder()
                    .url(BASE)
                    .method(HttpMethod.GET)
                    .queryFilter(Map.of("", FilterRequirement.REQUIRED))
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void policiesWhenContainingNullThenRefused() {
    List<Policy> withNull = new ArrayList<>();
    withNull.add(null);

    assertThatThrownBy(() -> worker().policies(withNull)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> worker().policy(null)).isInstanceOf(NullPointerException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"WS123", "AC0123456789abcdef0123456789abcdef"})
  void urlUtilsWhenSidMalformedThenRefused(String sid) {
    assertThatThrownBy(() -> UrlUtils.workspace(sid)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlUtils.worker(WORKSPACE, sid))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlUtils.task(WORKSPACE, sid))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> UrlUtils.eventBridge(ACCOUNT, sid))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
