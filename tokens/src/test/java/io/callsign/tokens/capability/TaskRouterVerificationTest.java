package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.OTHER_ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.QUEUE;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKER;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKSPACE;
import static io.callsign.tokens.capability.CapabilityTestSupport.sign;
import static io.callsign.tokens.capability.CapabilityTestSupport.verifierAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.internal.Json;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The TaskRouter payload variants of twilio-wire.md section 7, built by hand, and refusals. */
class TaskRouterVerificationTest {
  private static final String ACTIVITIES =
      "https://taskrouter.twilio.com/v1/Workspaces/" + WORKSPACE + "/Activities";
  private static final String WORKER_URL =
      "https://taskrouter.twilio.com/v1/Workspaces/" + WORKSPACE + "/Workers/" + WORKER;

  private final CapabilityTokenVerifier verifier = verifierAt(NOW);

  /** A valid worker payload in Node's shape: iat, filters written as {}, allow true. */
  private static Map<String, Object> nodeWorker() {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", ACCOUNT);
    claims.put("exp", NOW + 3600);
    claims.put("version", "v1");
    claims.put("account_sid", ACCOUNT);
    claims.put("channel", WORKER);
    claims.put("workspace_sid", WORKSPACE);
    claims.put(
        "policies",
        List.of(
            policy(ACTIVITIES, "GET", Map.of(), Map.of()),
            policy(WORKER_URL, "POST", Map.of(), Map.of("ActivitySid", Map.of("required", true)))));
    claims.put("worker_sid", WORKER);
    claims.put("iat", NOW);
    return claims;
  }

  private static Map<String, Object> policy(
      String url, String method, Map<String, Object> query, Map<String, Object> post) {
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("url", url);
    p.put("method", method);
    p.put("query_filter", query);
    p.put("post_filter", post);
    p.put("allow", true);
    return p;
  }

  /** Json.toJson leaves null members out; this marker writes an explicit JSON null. */
  private static final String NULL = "__null__";

  private static String token(Map<String, Object> claims) {
    return sign(Json.toJson(claims).replace("\"" + NULL + "\"", "null"));
  }

  private static List<Policy> expectedWorkerPolicies() {
    return List.of(
        new Policy.Builder().url(ACTIVITIES).method(HttpMethod.GET).build(),
        new Policy.Builder()
            .url(WORKER_URL)
            .method(HttpMethod.POST)
            .postFilter(Map.of("ActivitySid", FilterRequirement.REQUIRED))
            .build());
  }

  @Test
  void verifyWhenPayloadShapedByNodeThenParses() throws Exception {
    VerifiedTaskRouterCapability verified =
        verifier.verifyTaskRouterCapability(token(nodeWorker()));

    assertThat(verified.policies()).isEqualTo(expectedWorkerPolicies());
    assertThat(verified.workerSid()).contains(WORKER);
    assertThat(verified.issuedAt()).contains(Instant.ofEpochSecond(NOW));
    assertThat(verified.friendlyName()).isEmpty();
  }

  @Test
  void verifyWhenPayloadShapedByJavaThenParses() throws Exception {
    // twilio-java: no iat, keys of a policy alphabetical, null filters left out, HashMap order.
    String payload =
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"exp\":"
            + (NOW + 3600)
            + ",\"worker_sid\":\""
            + WORKER
            + "\",\"friendly_name\":\"Bob\",\"workspace_sid\":\""
            + WORKSPACE
            + "\",\"channel\":\""
            + WORKER
            + "\",\"policies\":[{\"allow\":true,\"method\":\"GET\",\"url\":\""
            + ACTIVITIES
            + "\"},{\"allow\":true,\"method\":\"POST\",\"post_filter\":{\"ActivitySid\":"
            + "{\"required\":true}},\"url\":\""
            + WORKER_URL
            + "\"}],\"account_sid\":\""
            + ACCOUNT
            + "\",\"version\":\"v1\"}";

    VerifiedTaskRouterCapability verified = verifier.verifyTaskRouterCapability(sign(payload));

    assertThat(verified.policies()).isEqualTo(expectedWorkerPolicies());
    assertThat(verified.friendlyName()).contains("Bob");
    assertThat(verified.issuedAt()).isEmpty();
  }

  @Test
  void verifyWhenPayloadShapedByPythonThenParses() throws Exception {
    // twilio-python: nbf instead of iat, friendly_name set to the channel.
    Map<String, Object> claims = nodeWorker();
    claims.remove("iat");
    claims.put("friendly_name", WORKER);
    claims.put("nbf", NOW);

    VerifiedTaskRouterCapability verified = verifier.verifyTaskRouterCapability(token(claims));

    assertThat(verified.friendlyName()).contains(WORKER);
    assertThat(verified.notBefore()).contains(Instant.ofEpochSecond(NOW));
  }

  @Test
  void verifyWhenTaskQueueChannelThenExposesTaskQueueSid() throws Exception {
    Map<String, Object> claims = nodeWorker();
    claims.remove("worker_sid");
    claims.put("channel", QUEUE);
    claims.put("taskqueue_sid", QUEUE);

    VerifiedTaskRouterCapability verified = verifier.verifyTaskRouterCapability(token(claims));

    assertThat(verified.taskQueueSid()).contains(QUEUE);
    assertThat(verified.workerSid()).isEmpty();
  }

  @Test
  void verifyWhenWorkspaceChannelWithNoPoliciesThenParses() throws Exception {
    Map<String, Object> claims = nodeWorker();
    claims.remove("worker_sid");
    claims.put("channel", WORKSPACE);
    claims.put("policies", List.of());

    assertThat(verifier.verifyTaskRouterCapability(token(claims)).policies()).isEmpty();
  }

  // ---------------------------------------------------------------------------------------------
  // Refusals

  private static Arguments refused(String name, int code, Consumer<Map<String, Object>> edit) {
    return Arguments.of(name, code, edit);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> firstPolicy(Map<String, Object> claims) {
    List<Object> policies = (List<Object>) claims.get("policies");
    Map<String, Object> first = new LinkedHashMap<>((Map<String, Object>) policies.get(0));
    claims.put("policies", List.of(first));
    return first;
  }

  static Stream<Arguments> malformedPayloads() {
    return Stream.of(
        refused("version missing", 20101, c -> c.remove("version")),
        refused("version v2", 20101, c -> c.put("version", "v2")),
        refused("account_sid of another account", 20103, c -> c.put("account_sid", OTHER_ACCOUNT)),
        refused("account_sid missing", 20103, c -> c.remove("account_sid")),
        refused("workspace_sid missing", 20101, c -> c.remove("workspace_sid")),
        refused("workspace_sid malformed", 20101, c -> c.put("workspace_sid", "WS123")),
        refused("channel missing", 20101, c -> c.remove("channel")),
        refused("channel an application", 20101, c -> c.put("channel", "AP" + "0".repeat(32))),
        refused("channel number", 20101, c -> c.put("channel", 7)),
        refused(
            "workspace channel of another workspace",
            20101,
            c -> {
              c.remove("worker_sid");
              c.put("channel", "WS" + "9".repeat(32));
            }),
        refused("worker_sid missing", 20101, c -> c.remove("worker_sid")),
        refused(
            "worker_sid another worker", 20101, c -> c.put("worker_sid", "WK" + "9".repeat(32))),
        refused("taskqueue_sid on a worker channel", 20101, c -> c.put("taskqueue_sid", QUEUE)),
        refused(
            "worker_sid on a queue channel",
            20101,
            c -> {
              c.put("channel", QUEUE);
              c.put("taskqueue_sid", QUEUE);
            }),
        refused(
            "worker_sid on a workspace channel",
            20101,
            c -> {
              c.put("channel", WORKSPACE);
              c.put("worker_sid", WORKSPACE);
            }),
        refused("friendly_name number", 20101, c -> c.put("friendly_name", 5)),
        refused("friendly_name null", 20101, c -> c.put("friendly_name", NULL)),
        refused("friendly_name control character", 20101, c -> c.put("friendly_name", "a\u0007")),
        refused("policies object", 20101, c -> c.put("policies", Map.of())),
        refused("policies null", 20101, c -> c.put("policies", NULL)),
        refused("policy not an object", 20101, c -> c.put("policies", List.of("GET /"))),
        refused("policy unknown member", 20101, c -> firstPolicy(c).put("deny", false)),
        refused("policy url missing", 20101, c -> firstPolicy(c).remove("url")),
        refused("policy url empty", 20101, c -> firstPolicy(c).put("url", "")),
        refused("policy url control character", 20101, c -> firstPolicy(c).put("url", "x\ny")),
        refused("policy method lower case", 20101, c -> firstPolicy(c).put("method", "get")),
        refused("policy method TRACE", 20101, c -> firstPolicy(c).put("method", "TRACE")),
        refused("policy allow missing", 20101, c -> firstPolicy(c).remove("allow")),
        refused("policy allow string", 20101, c -> firstPolicy(c).put("allow", "true")),
        refused("policy filter array", 20101, c -> firstPolicy(c).put("query_filter", List.of())),
        refused(
            "policy filter requirement string",
            20101,
            c -> firstPolicy(c).put("post_filter", Map.of("A", Map.of("required", "yes")))),
        refused(
            "policy filter requirement extra member",
            20101,
            c -> firstPolicy(c).put("post_filter", Map.of("A", Map.of("required", true, "x", 1)))),
        refused(
            "policy filter requirement bare boolean",
            20101,
            c -> firstPolicy(c).put("post_filter", Map.of("A", true))),
        refused(
            "policy filter name empty",
            20101,
            c -> firstPolicy(c).put("post_filter", Map.of("", Map.of("required", true)))),
        refused("scope claim present", 20101, c -> c.put("scope", "")),
        refused("grants claim present", 20101, c -> c.put("grants", Map.of())),
        refused("exp missing", 20104, c -> c.remove("exp")),
        refused("exp passed", 20104, c -> c.put("exp", NOW - 61)),
        refused("lifetime above 24 hours", 20157, c -> c.put("exp", NOW + 86_401)),
        refused("nbf in the future", 20105, c -> c.put("nbf", NOW + 61)),
        refused("iss of another account", 20103, c -> c.put("iss", OTHER_ACCOUNT)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedPayloads")
  void verifyWhenPayloadMalformedThenRefused(
      String name, int code, Consumer<Map<String, Object>> edit) {
    Map<String, Object> claims = nodeWorker();
    edit.accept(claims);
    String jwt = token(claims);

    assertThatThrownBy(() -> verifier.verifyTaskRouterCapability(jwt))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @Test
  void verifyWhenClientTokenThenRefusedAsWrongKind() {
    String jwt = CapabilityTestSupport.client().build().toJwt();

    assertThatThrownBy(() -> verifier.verifyTaskRouterCapability(jwt))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20101));
  }
}
