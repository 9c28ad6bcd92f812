package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.APP;
import static io.callsign.tokens.capability.CapabilityTestSupport.AUTH_TOKEN;
import static io.callsign.tokens.capability.CapabilityTestSupport.HS256_HEADER;
import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.OTHER_ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.OTHER_AUTH_TOKEN;
import static io.callsign.tokens.capability.CapabilityTestSupport.clientPayload;
import static io.callsign.tokens.capability.CapabilityTestSupport.sign;
import static io.callsign.tokens.capability.CapabilityTestSupport.verifierAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.TokenError;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The encodings of twilio-wire.md section 6, built by hand, and the refusals around them. */
class ClientCapabilityVerificationTest {
  private final CapabilityTokenVerifier verifier = verifierAt(NOW);

  private List<Scope> scopesOf(String scope) throws InvalidTokenException {
    return verifier.verifyClientCapability(sign(clientPayload(scope))).scopes();
  }

  private static Map<String, String> map(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return map;
  }

  @Test
  void verifyWhenScopeEncodedByJavaThenParses() throws Exception {
    // twilio-java: incoming clientName unencoded (raw space), URLEncoder elsewhere (+ for space).
    String scope =
        "scope:client:incoming?clientName=a b"
            + " scope:client:outgoing?appSid="
            + APP
            + "&clientName=a+b&appParams=x%3D1%252B2%2B3%26y%3D%2526"
            + " scope:stream:subscribe?path=/2010-04-01/Events&appParams=foo%3Dbar%2Bbaz";

    assertThat(scopesOf(scope))
        .containsExactly(
            new IncomingClientScope("a b"),
            new OutgoingClientScope(APP, "a b", map("x", "1+2 3", "y", "&")),
            new EventStreamScope(map("foo", "bar baz")));
  }

  @Test
  void verifyWhenScopeEncodedByNodeThenParses() throws Exception {
    // The exact example of twilio-wire.md section 6.
    String scope =
        "scope:client:incoming?clientName=a%20b scope:client:outgoing?appSid="
            + APP
            + "&clientName=a%20b&appParams=x%3D1%25202%26y%3D%2526";

    assertThat(scopesOf(scope))
        .containsExactly(
            new IncomingClientScope("a b"),
            new OutgoingClientScope(APP, "a b", map("x", "1 2", "y", "&")));
  }

  @Test
  void verifyWhenScopeEncodedByPythonThenParses() throws Exception {
    // twilio-python: parameters sorted, "params" for stream filters, path escaped, nbf set.
    String scope =
        "scope:client:outgoing?appParams=x%3D1%2B2&appSid="
            + APP
            + "&clientName=a+b scope:client:incoming?clientName=a+b"
            + " scope:stream:subscribe?params=foo%3Dbar%2Bbaz&path=%2F2010-04-01%2FEvents";
    String payload =
        "{\"scope\":\""
            + scope
            + "\",\"iss\":\""
            + ACCOUNT
            + "\",\"nbf\":"
            + NOW
            + ",\"exp\":"
            + (NOW + 3600)
            + "}";

    VerifiedClientCapability verified = verifier.verifyClientCapability(sign(payload));

    assertThat(verified.scopes())
        .containsExactly(
            new OutgoingClientScope(APP, "a b", map("x", "1 2")),
            new IncomingClientScope("a b"),
            new EventStreamScope(map("foo", "bar baz")));
    assertThat(verified.notBefore()).contains(Instant.ofEpochSecond(NOW));
    assertThat(verified.issuedAt()).isEmpty();
  }

  @Test
  void verifyWhenJavaClientNameHasRawReservedCharactersThenTakenLiterally() throws Exception {
    assertThat(scopesOf("scope:client:incoming?clientName=a&b=c"))
        .containsExactly(new IncomingClientScope("a&b=c"));
    assertThat(scopesOf("scope:client:incoming?clientName=100%"))
        .containsExactly(new IncomingClientScope("100%"));
    assertThat(scopesOf("scope:client:incoming?clientName=a  b"))
        .containsExactly(new IncomingClientScope("a  b"));
  }

  @Test
  void verifyWhenNodeWritesEmptyAppParamsThenParamsAreEmpty() throws Exception {
    assertThat(scopesOf("scope:client:outgoing?appSid=" + APP + "&appParams="))
        .containsExactly(new OutgoingClientScope(APP, null, Map.of()));
  }

  @Test
  void verifyWhenHexEscapesLowerCaseThenParses() throws Exception {
    assertThat(scopesOf("scope:client:incoming?clientName=%c3%a9%2b"))
        .containsExactly(new IncomingClientScope("é+"));
  }

  @Test
  void verifyWhenScopeClaimEmptyThenNoScopes() throws Exception {
    VerifiedClientCapability verified = verifier.verifyClientCapability(sign(clientPayload("")));

    assertThat(verified.scopes()).isEmpty();
    assertThat(verified.accountSid()).isEqualTo(ACCOUNT);
    assertThat(verified.expiresAt()).isEqualTo(Instant.ofEpochSecond(NOW + 3600));
    assertThat(verified.issuedAt()).contains(Instant.ofEpochSecond(NOW));
  }

  @Test
  void scopesOfKindWhenMixedThenFiltersByType() throws Exception {
    VerifiedClientCapability verified =
        verifier.verifyClientCapability(
            sign(
                clientPayload(
                    "scope:client:incoming?clientName=a scope:client:outgoing?appSid="
                        + APP
                        + " scope:client:incoming?clientName=b")));

    assertThat(verified.scopes(IncomingClientScope.class))
        .extracting(IncomingClientScope::clientName)
        .containsExactly("a", "b");
    assertThat(verified.scopes(EventStreamScope.class)).isEmpty();
  }

  @Test
  void verifyWhenUnknownClaimsPresentThenIgnoresThem() throws Exception {
    String payload =
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"exp\":"
            + (NOW + 60)
            + ",\"scope\":\"scope:client:incoming?clientName=a\",\"jti\":\"x\",\"sub\":\"y\"}";

    assertThat(verifier.verifyClientCapability(sign(payload)).scopes()).hasSize(1);
  }

  // ---------------------------------------------------------------------------------------------
  // Refusals: scope URIs (20101)

  @ParameterizedTest
  @ValueSource(
      strings = {
        "scope:sms:send?to=1",
        "scope:client:incoming",
        "scope:client:incoming?",
        "scope:client:incoming?foo=bar",
        "scope:client:incoming?clientName=",
        "scope:client:incoming?clientName=a%0Ab",
        "scope:client:incoming?clientName=%00",
        "scope:client:outgoing",
        "scope:client:outgoing?clientName=a",
        "scope:client:outgoing?appSid=AP123",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&x=1",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&appSid=AP00112233445566778899aabbccddeeff",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&clientName=%2",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&clientName=%zz",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&clientName=%C3%28",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&clientName=%ED%A0%80",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&appParams=novalue",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&appParams=a%3D1%26a%3D2",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&appParams=%3D1",
        "scope:client:outgoing?appSid=AP00112233445566778899aabbccddeeff&&clientName=a",
        "scope:client:outgoing?=x&appSid=AP00112233445566778899aabbccddeeff",
        "scope:stream:subscribe",
        "scope:stream:subscribe?path=/2010-04-01/Calls",
        "scope:stream:subscribe?appParams=a%3D1",
        "scope:stream:subscribe?path=/2010-04-01/Events&appParams=a%3D1&params=b%3D2",
        "scope:stream:subscribe?path=/2010-04-01/Events&path=/2010-04-01/Events",
        " scope:client:incoming?clientName=a",
        "clientName=a",
        "SCOPE:client:incoming?clientName=a",
        "scope:client:incoming?clientName=a scope:bogus:x"
      })
  void verifyWhenScopeMalformedThenRefusedAsInvalid(String scope) {
    assertThatThrownBy(() -> scopesOf(scope))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.error()).isEqualTo(TokenError.INVALID));
  }

  @ParameterizedTest
  @ValueSource(strings = {"42", "null", "[\"scope:client:incoming?clientName=a\"]", "{}"})
  void verifyWhenScopeClaimNotAStringThenRefused(String scopeJson) {
    String payload =
        "{\"iss\":\"" + ACCOUNT + "\",\"exp\":" + (NOW + 60) + ",\"scope\":" + scopeJson + "}";

    assertThatThrownBy(() -> verifier.verifyClientCapability(sign(payload)))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20101));
  }

  // ---------------------------------------------------------------------------------------------
  // Refusals: claims

  private static void assertRefused(ThrowingCall call, int code) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @FunctionalInterface
  private interface ThrowingCall {
    void run() throws Exception;
  }

  private void assertClientRefused(String payload, int code) {
    assertRefused(() -> verifier.verifyClientCapability(sign(payload)), code);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"AC123\"",
        "\"SK0123456789abcdef0123456789abcdef\"",
        "\"ac0123456789abcdef0123456789abcdef\"",
        "42",
        "null"
      })
  void verifyWhenIssuerNotAnAccountSidThenRefusedWith20103(String iss) {
    assertClientRefused("{\"iss\":" + iss + ",\"exp\":" + (NOW + 60) + ",\"scope\":\"\"}", 20103);
  }

  @Test
  void verifyWhenIssuerMissingThenRefusedWith20103() {
    assertClientRefused("{\"exp\":" + (NOW + 60) + ",\"scope\":\"\"}", 20103);
  }

  @Test
  void verifyWhenIssuerIsAnotherAccountThenRefusedWith20103() {
    String payload = clientPayload("").replace(ACCOUNT, OTHER_ACCOUNT);

    assertRefused(
        () -> verifier.verifyClientCapability(sign(HS256_HEADER, payload, "HS256", AUTH_TOKEN)),
        20103);
  }

  @Test
  void verifyWhenSignedWithAnotherAuthTokenThenRefusedWith20107() {
    String jwt = sign(HS256_HEADER, clientPayload(""), "HS256", OTHER_AUTH_TOKEN);

    assertRefused(() -> verifier.verifyClientCapability(jwt), 20107);
  }

  @Test
  void verifyWhenTaskRouterTokenThenRefusedAsWrongKind() {
    String jwt = CapabilityTestSupport.worker().build().toJwt();

    assertRefused(() -> verifier.verifyClientCapability(jwt), 20101);
  }

  @Test
  void verifyWhenScopeAndPoliciesBothPresentThenRefused() {
    assertClientRefused(clientPayload("").replace("}", ",\"policies\":[]}"), 20101);
  }

  @Test
  void verifyWhenAccessTokenGrantsPresentThenRefused() {
    assertClientRefused(clientPayload("").replace("}", ",\"grants\":{\"identity\":\"a\"}}"), 20101);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        ",\"exp\":null",
        ",\"exp\":\"1900000000\"",
        ",\"exp\":-1",
        ",\"exp\":1.9E9",
        ",\"exp\":1800003600.5"
      })
  void verifyWhenExpMissingOrMalformedThenRefusedWith20104(String exp) {
    assertClientRefused(
        "{\"iss\":\"" + ACCOUNT + "\",\"iat\":" + NOW + exp + ",\"scope\":\"\"}", 20104);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"1800000000\"", "-5", "true", "1.5"})
  void verifyWhenIatMalformedThenRefusedWith20101(String iat) {
    assertClientRefused(
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"iat\":"
            + iat
            + ",\"exp\":"
            + (NOW + 60)
            + ",\"scope\":\"\"}",
        20101);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"1800000000\"", "-5", "false"})
  void verifyWhenNbfMalformedThenRefusedWith20105(String nbf) {
    assertClientRefused(
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"nbf\":"
            + nbf
            + ",\"exp\":"
            + (NOW + 60)
            + ",\"scope\":\"\"}",
        20105);
  }

  @Test
  void verifyWhenLifetimeAbove24HoursByIatThenRefusedWith20157() {
    assertClientRefused(
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"iat\":"
            + NOW
            + ",\"exp\":"
            + (NOW + 86_401)
            + ",\"scope\":\"\"}",
        20157);
  }

  @Test
  void verifyWhenLifetimeAbove24HoursWithoutIatThenRefusedWith20157() {
    assertClientRefused(
        "{\"iss\":\"" + ACCOUNT + "\",\"exp\":" + (NOW + 86_400 + 61) + ",\"scope\":\"\"}", 20157);
  }

  @Test
  void verifyWhenLifetimeExactly24HoursThenAccepted() throws Exception {
    String payload =
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"iat\":"
            + NOW
            + ",\"exp\":"
            + (NOW + 86_400)
            + ",\"scope\":\"\"}";

    assertThat(verifier.verifyClientCapability(sign(payload)).expiresAt())
        .isEqualTo(Instant.ofEpochSecond(NOW + 86_400));
  }

  @Test
  void verifyWhenIssuedInTheFutureThenRefusedWith20105() {
    assertClientRefused(
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"iat\":"
            + (NOW + 61)
            + ",\"exp\":"
            + (NOW + 3600)
            + ",\"scope\":\"\"}",
        20105);
  }
}
