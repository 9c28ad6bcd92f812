package io.callsign.tokens.capability;

import io.callsign.tokens.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Fixed SIDs, clocks, hand-signed tokens and fixture loading for the capability tests. */
final class CapabilityTestSupport {
  static final String ACCOUNT = "AC0123456789abcdef0123456789abcdef";
  static final String OTHER_ACCOUNT = "ACfedcba9876543210fedcba9876543210";
  // Generated per run, in Twilio's format (32 hex characters): no fixed secret lives in the repo.
  static final String AUTH_TOKEN = randomAuthToken();
  static final String OTHER_AUTH_TOKEN = randomAuthToken();
  static final String APP = "AP00112233445566778899aabbccddeeff";
  static final String WORKSPACE = "WS00000000000000000000000000000001";
  static final String WORKER = "WK00000000000000000000000000000002";
  static final String QUEUE = "WQ00000000000000000000000000000003";
  static final long NOW = 1_800_000_000L;
  static final String HS256_HEADER = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

  private CapabilityTestSupport() {}

  private static String randomAuthToken() {
    byte[] bytes = new byte[16];
    new java.security.SecureRandom().nextBytes(bytes);
    return java.util.HexFormat.of().formatHex(bytes);
  }

  static Clock clockAt(long epochSecond) {
    return Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC);
  }

  static CapabilityTokenVerifier verifierAt(long epochSecond) {
    return CapabilityTokenVerifier.builder(ACCOUNT, AUTH_TOKEN).clock(clockAt(epochSecond)).build();
  }

  static ClientCapabilityToken.Builder client() {
    return new ClientCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN).clock(clockAt(NOW));
  }

  static TaskRouterCapabilityToken.Builder worker() {
    return new TaskRouterCapabilityToken.Builder(ACCOUNT, AUTH_TOKEN, WORKSPACE, WORKER)
        .clock(clockAt(NOW));
  }

  /** A token signed by hand: any header, any payload, any HMAC ("none" leaves it unsigned). */
  static String sign(String headerJson, String payloadJson, String alg, String key) {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String input =
        b64.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8))
            + "."
            + b64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8));
    if (alg.equalsIgnoreCase("none")) {
      return input + ".";
    }
    String javaName =
        switch (alg) {
          case "HS384" -> "HmacSHA384";
          case "HS512" -> "HmacSHA512";
          default -> "HmacSHA256";
        };
    try {
      Mac mac = Mac.getInstance(javaName);
      mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), javaName));
      return input
          + "."
          + b64.encodeToString(mac.doFinal(input.getBytes(StandardCharsets.US_ASCII)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** An HS256 token over {@code payloadJson} under the standard header and the test auth token. */
  static String sign(String payloadJson) {
    return sign(HS256_HEADER, payloadJson, "HS256", AUTH_TOKEN);
  }

  /** A Client capability payload for {@code scope}, issued at {@link #NOW}, valid one hour. */
  static String clientPayload(String scope) {
    return "{\"iss\":\""
        + ACCOUNT
        + "\",\"iat\":"
        + NOW
        + ",\"exp\":"
        + (NOW + 3600)
        + ",\"scope\":"
        + Json.toJson(scope)
        + "}";
  }

  /** The decoded payload of a token. */
  static Map<String, Object> payload(String jwt) {
    return Json.parseObject(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
  }

  /** The decoded header of a token. */
  static String headerJson(String jwt) {
    return new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[0]), StandardCharsets.UTF_8);
  }

  /** The decoded payload of a token, as JSON text. */
  static String payloadJson(String jwt) {
    return new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]), StandardCharsets.UTF_8);
  }

  /** A JSON fixture from {@code src/test/resources/capability}. */
  static Map<String, Object> fixture(String name) {
    try (InputStream in = CapabilityTestSupport.class.getResourceAsStream("/capability/" + name)) {
      if (in == null) {
        throw new IllegalStateException("missing fixture " + name);
      }
      return Json.parseObject(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The scopes a fixture expects, as records built independently of the parser. */
  @SuppressWarnings("unchecked")
  static List<Scope> expectedScopes(Map<String, Object> expect) {
    List<Scope> scopes = new ArrayList<>();
    for (Object o : (List<Object>) expect.get("scopes")) {
      Map<String, Object> s = (Map<String, Object>) o;
      switch ((String) s.get("type")) {
        case "incoming" -> scopes.add(new IncomingClientScope((String) s.get("clientName")));
        case "outgoing" ->
            scopes.add(
                new OutgoingClientScope.Builder((String) s.get("applicationSid"))
                    .clientName((String) s.get("clientName"))
                    .params(strings(s.get("params")))
                    .build());
        case "stream" ->
            scopes.add(new EventStreamScope.Builder().filters(strings(s.get("filters"))).build());
        default -> throw new IllegalArgumentException("unknown scope type " + s.get("type"));
      }
    }
    return scopes;
  }

  /** The policies a fixture expects, built with the public builder from the JSON members. */
  @SuppressWarnings("unchecked")
  static List<Policy> expectedPolicies(Map<String, Object> expect) {
    List<Policy> policies = new ArrayList<>();
    for (Object o : (List<Object>) expect.get("policies")) {
      Map<String, Object> p = (Map<String, Object>) o;
      policies.add(
          new Policy.Builder()
              .url((String) p.get("url"))
              .method(HttpMethod.valueOf((String) p.get("method")))
              .allowed((Boolean) p.get("allow"))
              .queryFilter(requirements(p.get("query_filter")))
              .postFilter(requirements(p.get("post_filter")))
              .build());
    }
    return policies;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> strings(Object map) {
    Map<String, String> out = new LinkedHashMap<>();
    if (map != null) {
      ((Map<String, Object>) map).forEach((k, v) -> out.put(k, (String) v));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, FilterRequirement> requirements(Object map) {
    Map<String, FilterRequirement> out = new LinkedHashMap<>();
    if (map != null) {
      ((Map<String, Object>) map)
          .forEach(
              (k, v) ->
                  out.put(
                      k,
                      FilterRequirement.of((Boolean) ((Map<String, Object>) v).get("required"))));
    }
    return out;
  }
}
