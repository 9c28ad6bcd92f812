package io.callsign.tokens.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.callsign.tokens.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Byte-for-byte agreement with twilio-node 6.0.2 on {@code webhook/node-vectors.json}, generated
 * with {@code getExpectedTwilioSignature}, {@code getExpectedBodyHash}, {@code validateRequest} and
 * {@code validateRequestWithBody}: repeated parameters (arrays, duplicates, empty arrays), unicode,
 * port variants, and mutations that must fail.
 *
 * <p>Each case records node's expected signature for its URL and parameters, the signature
 * presented, and node's verdict on it. Cases flagged {@code nodeNormalizes} have URLs that WHATWG
 * {@code URL} rewrites (host case, dot segments, raw spaces or non-ASCII); node only ever checks
 * the rewritten URL, so it rejects signatures over the exact URL, which this library accepts.
 */
class NodeVectorsTest {
  static Stream<Named<Map<String, Object>>> cases() throws IOException {
    Map<String, Object> fixture;
    try (InputStream in = NodeVectorsTest.class.getResourceAsStream("/webhook/node-vectors.json")) {
      fixture = Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    List<Map<String, Object>> cases = cast(fixture.get("cases"));
    return cases.stream().map(c -> Named.of(c.get("kind") + " " + c.get("url"), c));
  }

  @Test
  void fixtureWhenLoadedThenCoversValidAndInvalidCases() throws IOException {
    List<Map<String, Object>> all = cases().map(Named::getPayload).toList();
    assertThat(all).hasSizeGreaterThan(1000);
    long valid = all.stream().filter(c -> (Boolean) c.get("valid")).count();
    assertThat(valid).isGreaterThan(300);
    assertThat(all.size() - valid).isGreaterThan(valid);
    assertThat(all)
        .anyMatch(
            c ->
                c.get("params") instanceof Map<?, ?> p
                    && p.values().stream().anyMatch(v -> v instanceof List<?> l && l.size() > 1));
  }

  @ParameterizedTest
  @MethodSource("cases")
  void signWhenNodeVectorThenSameSignature(Map<String, Object> c) {
    RequestSigner signer = new RequestSigner((String) c.get("authToken"));
    String url = (String) c.get("url");
    if (c.containsKey("body")) {
      assertThat(signer.signParams(url, Map.of())).isEqualTo(c.get("expectedSignature"));
      assertThat(
              new RequestValidator("x")
                  .validateBody((String) c.get("body"), (String) c.get("bodyHash")))
          .isTrue();
      if (c.get("kind").equals("body-as-given")) {
        assertThat(signer.signJson((String) c.get("baseUrl"), (String) c.get("body")))
            .isEqualTo(new SignedUrl(url, (String) c.get("signature")));
      }
    } else {
      assertThat(signer.signParams(url, params(c))).isEqualTo(c.get("expectedSignature"));
    }
  }

  @ParameterizedTest
  @MethodSource("cases")
  void validateWhenNodeVectorThenSameVerdict(Map<String, Object> c) {
    RequestValidator validator = new RequestValidator((String) c.get("authToken"));
    String url = (String) c.get("url");
    String signature = (String) c.get("signature");
    boolean ours =
        c.containsKey("body")
            ? validator.validate(url, (String) c.get("body"), signature)
            : validator.validateParams(url, params(c), signature);
    if ((Boolean) c.get("nodeNormalizes")) {
      // Node judged a rewritten URL; only the exact-URL signature has a verdict to compare.
      assumeTrue(signature.equals(c.get("expectedSignature")), "node rewrote the URL");
      assertThat(ours).as("signature over the exact URL").isTrue();
      assertThat(c.get("valid")).as("node's verdict").isEqualTo(false);
    } else {
      assertThat(ours).isEqualTo(c.get("valid"));
    }
  }

  /** Node's params: each value a string or an array of strings. */
  private static Map<String, List<String>> params(Map<String, Object> c) {
    Map<String, Object> raw = cast(c.get("params"));
    Map<String, List<String>> params = new LinkedHashMap<>();
    raw.forEach(
        (name, value) -> params.put(name, value instanceof String s ? List.of(s) : cast(value)));
    return params;
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }
}
