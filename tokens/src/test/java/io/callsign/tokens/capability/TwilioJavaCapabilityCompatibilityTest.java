package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.APP;
import static io.callsign.tokens.capability.CapabilityTestSupport.AUTH_TOKEN;
import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.QUEUE;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKER;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKSPACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.twilio.jwt.client.ClientCapability;
import com.twilio.jwt.taskrouter.TaskRouterCapability;
import io.callsign.tokens.InvalidTokenException;
import io.jsonwebtoken.Claims;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Capability tokens cross between twilio-java 13.0.1 and Callsign. twilio-java mints, Callsign
 * verifies; Callsign mints, and jjwt (twilio-java's JWT library) verifies the signature while
 * twilio-java's own inputs give the claims to compare with, since twilio-java cannot parse tokens.
 */
class TwilioJavaCapabilityCompatibilityTest {
  private static final byte[] KEY = AUTH_TOKEN.getBytes(StandardCharsets.UTF_8);

  private static Map<String, String> params() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("x", "1+2 3");
    params.put("y", "&=%");
    params.put("é ü", "v~*");
    return params;
  }

  private static CapabilityTokenVerifier verifierNow() {
    return CapabilityTokenVerifier.builder(ACCOUNT, AUTH_TOKEN).clock(Clock.systemUTC()).build();
  }

  @Test
  void verifyWhenMintedByTwilioJavaClientCapabilityThenScopesMatch() throws Exception {
    String official =
        new ClientCapability.Builder(ACCOUNT, KEY)
            .ttl(7200)
            .scopes(
                List.of(
                    new com.twilio.jwt.client.IncomingClientScope("alice smith"),
                    new com.twilio.jwt.client.OutgoingClientScope.Builder(APP)
                        .clientName("alice smith")
                        .params(params())
                        .build(),
                    new com.twilio.jwt.client.EventStreamScope.Builder()
                        .filters(Map.of("foo", "bar baz"))
                        .build(),
                    new com.twilio.jwt.client.EventStreamScope.Builder().build(),
                    new com.twilio.jwt.client.OutgoingClientScope.Builder(APP).build()))
            .build()
            .toJwt();

    VerifiedClientCapability verified = verifierNow().verifyClientCapability(official);

    assertThat(verified.scopes())
        .containsExactly(
            new IncomingClientScope("alice smith"),
            new OutgoingClientScope(APP, "alice smith", params()),
            new EventStreamScope(Map.of("foo", "bar baz")),
            new EventStreamScope(Map.of()),
            new OutgoingClientScope(APP, null, Map.of()));
    assertThat(verified.accountSid()).isEqualTo(ACCOUNT);
    assertThat(verified.issuedAt()).isEmpty();
  }

  @Test
  void verifyWhenTwilioJavaTokenHasWrongAuthTokenThenRefused() {
    String official =
        new ClientCapability.Builder(ACCOUNT, CapabilityTestSupport.OTHER_AUTH_TOKEN.getBytes())
            .scopes(List.of(new com.twilio.jwt.client.IncomingClientScope("alice")))
            .build()
            .toJwt();

    assertThatThrownBy(() -> verifierNow().verifyClientCapability(official))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20107));
  }

  @Test
  void verifyWhenTwilioJavaTtlAbove24HoursThenRefusedWith20157() {
    String official =
        new ClientCapability.Builder(ACCOUNT, KEY)
            .ttl(86_400 + 120)
            .scopes(List.of(new com.twilio.jwt.client.IncomingClientScope("alice")))
            .build()
            .toJwt();

    assertThatThrownBy(() -> verifierNow().verifyClientCapability(official))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20157));
  }

  @Test
  void mintWhenOursThenJjwtVerifiesAndScopesDecodeLikeTwilioJavas() throws Exception {
    List<Scope> ours =
        List.of(
            new IncomingClientScope("alice smith"),
            new OutgoingClientScope.Builder(APP).clientName("alice smith").params(params()).build(),
            new EventStreamScope.Builder().filters(Map.of("foo", "bar baz")).build());
    List<com.twilio.jwt.client.Scope> theirs =
        List.of(
            new com.twilio.jwt.client.IncomingClientScope("alice smith"),
            new com.twilio.jwt.client.OutgoingClientScope.Builder(APP)
                .clientName("alice smith")
                .params(params())
                .build(),
            new com.twilio.jwt.client.EventStreamScope.Builder()
                .filters(Map.of("foo", "bar baz"))
                .build());
    ClientCapabilityToken token = CapabilityTestSupport.client().scopes(ours).build();

    Claims claims = jjwt(token.toJwt());

    assertThat(claims.getIssuer()).isEqualTo(ACCOUNT);
    assertThat(claims.getExpiration()).isEqualTo(new Date((NOW + 3600) * 1000));
    assertThat(claims.get("scope", String.class)).isEqualTo(token.getScope());
    for (int i = 0; i < ours.size(); i++) {
      assertThat(decodeWithJdk(ours.get(i).getPayload()))
          .isEqualTo(decodeWithJdk(theirs.get(i).getPayload()));
    }
  }

  @Test
  void verifyWhenMintedByTwilioJavaTaskRouterCapabilityThenPoliciesMatch() throws Exception {
    List<com.twilio.jwt.taskrouter.Policy> theirPolicies = theirWorkerPolicies();
    String official =
        mintOrSkip(
            new TaskRouterCapability.Builder(ACCOUNT, KEY, WORKSPACE, WORKER)
                .friendlyName("Alice")
                .policies(theirPolicies));

    VerifiedTaskRouterCapability verified = verifierNow().verifyTaskRouterCapability(official);

    List<Policy> expected = new ArrayList<>(ourWorkerPolicies());
    expected.addAll(PolicyUtils.defaultEventBridgePolicies(ACCOUNT, WORKER));
    assertThat(verified.policies()).isEqualTo(expected);
    assertThat(verified.friendlyName()).contains("Alice");
    assertThat(verified.workerSid()).contains(WORKER);
  }

  @Test
  void mintWhenOursThenJjwtVerifiesAndClaimsEqualTwilioJavasForTheSameInputs() throws Exception {
    for (String channel : List.of(WORKER, QUEUE, WORKSPACE)) {
      TaskRouterCapability theirs =
          new TaskRouterCapability.Builder(ACCOUNT, KEY, WORKSPACE, channel)
              .friendlyName("Alice")
              .policies(theirWorkerPolicies())
              .build();
      TaskRouterCapabilityToken ours =
          new TaskRouterCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN, WORKSPACE, channel)
              .clock(CapabilityTestSupport.clockAt(NOW))
              .friendlyName("Alice")
              .policies(ourWorkerPolicies())
              .build();

      Claims claims = jjwt(ours.toJwt());

      assertThat(claims.getIssuer()).isEqualTo(ACCOUNT);
      assertThat(claims.getIssuedAt()).isEqualTo(new Date(NOW * 1000));
      assertThat(claims.getExpiration()).isEqualTo(new Date((NOW + 3600) * 1000));
      Map<String, Object> decoded = new LinkedHashMap<>(claims);
      decoded.keySet().removeAll(List.of("iss", "iat", "exp"));
      assertThat(decoded).as("channel %s", channel).isEqualTo(comparable(theirs.getClaims()));
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static List<com.twilio.jwt.taskrouter.Policy> theirWorkerPolicies() {
    List<com.twilio.jwt.taskrouter.Policy> policies =
        new ArrayList<>(
            com.twilio.jwt.taskrouter.PolicyUtils.defaultWorkerPolicies(WORKSPACE, WORKER));
    policies.add(
        new com.twilio.jwt.taskrouter.Policy.Builder()
            .url(com.twilio.jwt.taskrouter.UrlUtils.worker(WORKSPACE, WORKER))
            .method(com.twilio.http.HttpMethod.POST)
            .postFilter(Map.of("ActivitySid", com.twilio.jwt.taskrouter.FilterRequirement.REQUIRED))
            .queryFilter(Map.of("Debug", com.twilio.jwt.taskrouter.FilterRequirement.OPTIONAL))
            .allowed(false)
            .build());
    return policies;
  }

  private static List<Policy> ourWorkerPolicies() {
    List<Policy> policies = new ArrayList<>(PolicyUtils.defaultWorkerPolicies(WORKSPACE, WORKER));
    policies.add(
        new Policy.Builder()
            .url(UrlUtils.worker(WORKSPACE, WORKER))
            .method(HttpMethod.POST)
            .postFilter(Map.of("ActivitySid", FilterRequirement.REQUIRED))
            .queryFilter(Map.of("Debug", FilterRequirement.OPTIONAL))
            .allowed(false)
            .build());
    return policies;
  }

  /**
   * twilio-java's claims as JSON would carry them: its Policy objects as maps, absent filters as
   * {@code {}} (Callsign always writes them), null claims left out.
   */
  private static Map<String, Object> comparable(Map<String, Object> theirClaims) {
    Map<String, Object> out = new LinkedHashMap<>();
    theirClaims.forEach(
        (name, value) -> {
          if (name.equals("policies")) {
            List<Object> policies = new ArrayList<>();
            for (Object p : (List<?>) value) {
              com.twilio.jwt.taskrouter.Policy policy = (com.twilio.jwt.taskrouter.Policy) p;
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("url", policy.getUrl());
              m.put("method", policy.getMethod().toString());
              m.put("allow", policy.isAllowed());
              m.put("query_filter", requirements(policy.getQueryFilter()));
              m.put("post_filter", requirements(policy.getPostFilter()));
              policies.add(m);
            }
            out.put(name, policies);
          } else if (value != null) {
            out.put(name, value);
          }
        });
    return out;
  }

  private static Map<String, Object> requirements(
      Map<String, com.twilio.jwt.taskrouter.FilterRequirement> filter) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (filter != null) {
      filter.forEach((k, v) -> out.put(k, Map.of("required", v.value())));
    }
    return out;
  }

  /** Verifies with jjwt, the JWT library twilio-java uses, and returns the claims. */
  private static Claims jjwt(String jwt) {
    return Jwts.parser()
        .verifyWith(Keys.hmacShaKeyFor(KEY))
        .clock(() -> new Date(NOW * 1000))
        .build()
        .parseSignedClaims(jwt)
        .getPayload();
  }

  /**
   * A scope URI decoded with the JDK's URLDecoder, the way a Java server would read it: the base,
   * then each parameter, with appParams split and decoded once more.
   */
  private static Map<String, Object> decodeWithJdk(String uri) {
    Map<String, Object> out = new LinkedHashMap<>();
    int q = uri.indexOf('?');
    out.put("base", uri.substring(0, q));
    for (String pair : uri.substring(q + 1).split("&")) {
      String name = pair.substring(0, pair.indexOf('='));
      String value =
          URLDecoder.decode(pair.substring(pair.indexOf('=') + 1), StandardCharsets.UTF_8);
      if (name.equals("appParams")) {
        Map<String, String> inner = new LinkedHashMap<>();
        for (String p : value.split("&")) {
          inner.put(
              URLDecoder.decode(p.substring(0, p.indexOf('=')), StandardCharsets.UTF_8),
              URLDecoder.decode(p.substring(p.indexOf('=') + 1), StandardCharsets.UTF_8));
        }
        out.put(name, inner);
      } else {
        out.put(name, value);
      }
    }
    return out;
  }

  /**
   * Mints with twilio-java, or skips the test when twilio-java cannot serialize its {@code Policy}
   * objects on this classpath: the parent POM manages jackson-databind 2.20.1 while twilio-java
   * brings jackson-annotations 2.18.6, and databind 2.20 calls {@code JsonProperty.isRequired()},
   * added in annotations 2.19. The fixture test of java-tokens.json (minted with a matching
   * classpath) covers these tokens meanwhile.
   */
  private static String mintOrSkip(TaskRouterCapability.Builder builder) {
    try {
      return builder.build().toJwt();
    } catch (RuntimeException e) {
      Throwable root = e;
      while (root.getCause() != null) {
        root = root.getCause();
      }
      Assumptions.assumeFalse(
          root instanceof NoSuchMethodError,
          "twilio-java cannot serialize TaskRouter policies with this Jackson mix: " + root);
      throw e;
    }
  }
}
