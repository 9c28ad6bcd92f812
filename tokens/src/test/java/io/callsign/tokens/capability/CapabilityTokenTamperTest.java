package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.APP;
import static io.callsign.tokens.capability.CapabilityTestSupport.AUTH_TOKEN;
import static io.callsign.tokens.capability.CapabilityTestSupport.HS256_HEADER;
import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.OTHER_AUTH_TOKEN;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKER;
import static io.callsign.tokens.capability.CapabilityTestSupport.WORKSPACE;
import static io.callsign.tokens.capability.CapabilityTestSupport.clientPayload;
import static io.callsign.tokens.capability.CapabilityTestSupport.clockAt;
import static io.callsign.tokens.capability.CapabilityTestSupport.sign;
import static io.callsign.tokens.capability.CapabilityTestSupport.verifierAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.AccessToken;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.VoiceGrant;
import io.callsign.tokens.sid.KeySid;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 8725 checks (security-checklist.md J-01, J-02, J-08, J-12..J-16) for capability tokens. */
class CapabilityTokenTamperTest {
  private final CapabilityTokenVerifier verifier = verifierAt(NOW);

  @FunctionalInterface
  private interface Verify {
    Object apply(CapabilityTokenVerifier verifier, String jwt) throws InvalidTokenException;
  }

  private static final Verify CLIENT = CapabilityTokenVerifier::verifyClientCapability;
  private static final Verify TASKROUTER = CapabilityTokenVerifier::verifyTaskRouterCapability;

  private static void assertRefused(ThrowingCall call, int... codes) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isIn(box(codes)));
  }

  private static Object[] box(int[] codes) {
    Object[] boxed = new Object[codes.length];
    for (int i = 0; i < codes.length; i++) {
      boxed[i] = codes[i];
    }
    return boxed;
  }

  @FunctionalInterface
  private interface ThrowingCall {
    void run() throws Exception;
  }

  static Stream<Arguments> validTokens() {
    String client =
        CapabilityTestSupport.client()
            .scope(new IncomingClientScope("alice smith"))
            .scope(
                new OutgoingClientScope.Builder(APP)
                    .clientName("a")
                    .params(Map.of("k", "v"))
                    .build())
            .scope(new EventStreamScope.Builder().filters(Map.of("f", "g")).build())
            .build()
            .toJwt();
    String taskRouter =
        CapabilityTestSupport.worker()
            .friendlyName("Alice")
            .policies(PolicyUtils.defaultWorkerPolicies(WORKSPACE, WORKER))
            .build()
            .toJwt();
    return Stream.of(
        Arguments.of("client", client, CLIENT), Arguments.of("taskrouter", taskRouter, TASKROUTER));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void verifyWhenAnyCharacterOfAValidTokenIsFlippedThenRefused(
      String kind, String jwt, Verify verify) throws Exception {
    assertThat(verify.apply(verifier, jwt)).isNotNull();

    int refused = 0;
    for (int i = 0; i < jwt.length(); i++) {
      for (int mask : new int[] {0x01, 0x02, 0x20}) {
        char[] chars = jwt.toCharArray();
        chars[i] = (char) (chars[i] ^ mask);
        String tampered = new String(chars);
        int position = i;
        assertThatThrownBy(() -> verify.apply(verifier, tampered))
            .as("%s with character %d xor %x", kind, position, mask)
            .isInstanceOf(InvalidTokenException.class);
        refused++;
      }
    }
    assertThat(refused).isEqualTo(jwt.length() * 3);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void verifyWhenSignatureStrippedTruncatedOrExtendedThenRefused(
      String kind, String jwt, Verify verify) {
    String unsigned = jwt.substring(0, jwt.lastIndexOf('.') + 1);
    List<String> variants =
        List.of(
            unsigned,
            unsigned.substring(0, unsigned.length() - 1),
            jwt.substring(0, jwt.length() - 1),
            jwt + "A",
            jwt + "=",
            jwt + ".",
            jwt + "." + jwt.substring(jwt.lastIndexOf('.') + 1),
            " " + jwt,
            jwt.replace('.', ' '));
    for (String variant : variants) {
      assertThatThrownBy(() -> verify.apply(verifier, variant))
          .as("%s variant %s", kind, variant)
          .isInstanceOf(InvalidTokenException.class);
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"alg\":\"none\",\"typ\":\"JWT\"}",
        "{\"alg\":\"None\",\"typ\":\"JWT\"}",
        "{\"alg\":\"NONE\",\"typ\":\"JWT\"}",
        "{\"alg\":\"\",\"typ\":\"JWT\"}",
        "{\"typ\":\"JWT\"}",
        "{\"alg\":null}",
        "{\"alg\":[\"HS256\"]}",
        "{\"alg\":\"hs256\"}",
        "{\"alg\":\"RS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"ES256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"\"}",
        "{\"alg\":\"HS256\",\"typ\":\"JWE\"}",
        "{\"alg\":\"HS256\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"HS256\",\"zip\":\"DEF\"}",
        "{\"alg\":\"HS256\",\"enc\":\"A256GCM\"}",
        "{\"alg\":\"HS256\",\"b64\":false}",
        "{\"alg\":\"HS256\",\"alg\":\"HS256\"}",
        "[\"HS256\"]"
      })
  void verifyWhenHeaderIsNotAPlainHs256HeaderThenRefusedEvenWithAValidMac(String header) {
    // Signed with HMAC-SHA256 under the right auth token: only the header is wrong.
    String jwt = sign(header, clientPayload(""), "HS256", AUTH_TOKEN);

    assertRefused(() -> verifier.verifyClientCapability(jwt), 20102);
  }

  @ParameterizedTest
  @CsvSource({"none, none", "HS384, HS384", "HS512, HS512", "HS256, none"})
  void verifyWhenSignedWithAnotherAlgorithmThenRefused(String alg, String signWith) {
    String header = "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
    String jwt = sign(header, clientPayload(""), signWith, AUTH_TOKEN);

    assertRefused(() -> verifier.verifyClientCapability(jwt), 20101, 20102, 20107);
  }

  @Test
  void verifyWhenHs256HeaderWithValidMacThenAcceptedAsControl() throws Exception {
    String jwt = sign(HS256_HEADER, clientPayload(""), "HS256", AUTH_TOKEN);

    assertThat(verifier.verifyClientCapability(jwt).scopes()).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"iss\":\"AC0123456789abcdef0123456789abcdef\",\"exp\":1800003600,\"exp\":1900000000,"
            + "\"scope\":\"\"}",
        "{\"iss\":\"AC0123456789abcdef0123456789abcdef\",\"exp\":1800003600,\"scope\":\"\","
            + "\"scope\":\"scope:client:incoming?clientName=a\"}",
        "{\"iss\":\"AC0123456789abcdef0123456789abcdef\",\"exp\":1800003600,\"scope\":\"\\ud800\"}",
        "\ufeff{\"iss\":\"AC0123456789abcdef0123456789abcdef\",\"exp\":1800003600,\"scope\":\"\"}",
        "[]",
        "{\"iss\":\"AC0123456789abcdef0123456789abcdef\",\"exp\":1800003600,\"scope\":\"\"} x"
      })
  void verifyWhenPayloadIsNotStrictJsonThenRefusedWith20101(String payload) {
    String jwt = sign(HS256_HEADER, payload, "HS256", AUTH_TOKEN);

    assertRefused(() -> verifier.verifyClientCapability(jwt), 20101);
  }

  @Test
  void verifyWhenTokenLongerThanTheCapThenRefusedBeforeDecoding() throws Exception {
    String huge = "a".repeat(CapabilityTokenVerifier.DEFAULT_MAX_TOKEN_LENGTH + 1);
    CapabilityTokenVerifier capped =
        CapabilityTokenVerifier.builder(ACCOUNT, AUTH_TOKEN)
            .clock(clockAt(NOW))
            .maxTokenLength(200)
            .build();
    String valid =
        CapabilityTestSupport.client().scope(new IncomingClientScope("alice")).build().toJwt();

    assertThat(verifier.verifyClientCapability(valid)).isNotNull();
    assertRefused(() -> verifier.verifyClientCapability(huge), 20101);
    assertRefused(() -> capped.verifyClientCapability(valid), 20101);
    assertThat(valid.length()).isGreaterThan(200);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", ".", "..", "a.b", "a.b.c.d", "eyJhbGciOiJIUzI1NiJ9..sig", "é.é.é"})
  void verifyWhenStructureMalformedThenRefused(String token) {
    assertRefused(() -> verifier.verifyClientCapability(token), 20101, 20102);
  }

  @Test
  void verifyWhenNullThenRefused() {
    assertRefused(() -> verifier.verifyClientCapability(null), 20101);
    assertRefused(() -> verifier.verifyTaskRouterCapability(null), 20101);
  }

  // ---------------------------------------------------------------------------------------------
  // Time boundaries (J-14), clock skew 60 s

  private static final long IAT = NOW;
  private static final long NBF = NOW + 1000;
  private static final long EXP = NOW + 2000;

  private static String timedToken() {
    return sign(
        "{\"iss\":\""
            + ACCOUNT
            + "\",\"iat\":"
            + IAT
            + ",\"nbf\":"
            + NBF
            + ",\"exp\":"
            + EXP
            + ",\"scope\":\"scope:client:incoming?clientName=a\"}");
  }

  @ParameterizedTest(name = "exp {0}s: accepted={1}")
  @CsvSource({"-61, true", "-59, true", "0, true", "59, true", "60, false", "61, false"})
  void verifyWhenClockAroundExpThenSkewIsSixtySeconds(long offset, boolean accepted)
      throws Exception {
    CapabilityTokenVerifier at = verifierAt(EXP + offset);
    if (accepted) {
      assertThat(at.verifyClientCapability(timedToken()).expiresAt().getEpochSecond())
          .isEqualTo(EXP);
    } else {
      assertRefused(() -> at.verifyClientCapability(timedToken()), 20104);
    }
  }

  @ParameterizedTest(name = "nbf {0}s: accepted={1}")
  @CsvSource({"-61, false", "-60, true", "-59, true", "0, true", "59, true", "61, true"})
  void verifyWhenClockAroundNbfThenSkewIsSixtySeconds(long offset, boolean accepted)
      throws Exception {
    CapabilityTokenVerifier at = verifierAt(NBF + offset);
    if (accepted) {
      assertThat(at.verifyClientCapability(timedToken()).notBefore()).isPresent();
    } else {
      assertRefused(() -> at.verifyClientCapability(timedToken()), 20105);
    }
  }

  @ParameterizedTest(name = "iat {0}s: accepted={1}")
  @CsvSource({"-61, false", "-59, true"})
  void verifyWhenClockAroundIatThenSkewIsSixtySeconds(long offset, boolean accepted)
      throws Exception {
    String token =
        sign(
            "{\"iss\":\"" + ACCOUNT + "\",\"iat\":" + IAT + ",\"exp\":" + EXP + ",\"scope\":\"\"}");
    CapabilityTokenVerifier at = verifierAt(IAT + offset);
    if (accepted) {
      assertThat(at.verifyClientCapability(token).issuedAt()).isPresent();
    } else {
      assertRefused(() -> at.verifyClientCapability(token), 20105);
    }
  }

  @ParameterizedTest(name = "minted token, exp {0}s: accepted={1}")
  @CsvSource({"-61, true", "-59, true", "59, true", "61, false"})
  void verifyWhenClockAroundExpOfOurTaskRouterTokenThenSkewIsSixtySeconds(
      long offset, boolean accepted) throws Exception {
    TaskRouterCapabilityToken token = CapabilityTestSupport.worker().ttl(600).build();
    CapabilityTokenVerifier at = verifierAt(NOW + 600 + offset);
    if (accepted) {
      assertThat(at.verifyTaskRouterCapability(token.toJwt()).channelId()).isEqualTo(WORKER);
    } else {
      assertRefused(() -> at.verifyTaskRouterCapability(token.toJwt()), 20104);
    }
  }

  @Test
  void verifyWhenSkewIsZeroThenExpAndNbfAreExact() throws Exception {
    CapabilityTokenVerifier.Builder strict =
        CapabilityTokenVerifier.builder(ACCOUNT, AUTH_TOKEN).clockSkew(Duration.ZERO);

    assertRefused(
        () -> strict.clock(clockAt(EXP)).build().verifyClientCapability(timedToken()), 20104);
    assertRefused(
        () -> strict.clock(clockAt(NBF - 1)).build().verifyClientCapability(timedToken()), 20105);
    assertThat(strict.clock(clockAt(EXP - 1)).build().verifyClientCapability(timedToken()))
        .isNotNull();
    assertThat(strict.clock(clockAt(NBF)).build().verifyClientCapability(timedToken())).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(longs = {-1, 61, 3600})
  void clockSkewWhenOutOfRangeThenRefused(long seconds) {
    assertThatThrownBy(
            () ->
                CapabilityTokenVerifier.builder(ACCOUNT, AUTH_TOKEN)
                    .clockSkew(Duration.ofSeconds(seconds)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void maxTokenLengthWhenBelow64ThenRefused() {
    assertThatThrownBy(
            () -> CapabilityTokenVerifier.builder(ACCOUNT, AUTH_TOKEN).maxTokenLength(63))
        .isInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Cross-JWT confusion (J-13): every kind against every verifier

  private static String accessTokenSignedWithTheAuthToken() {
    return new AccessToken.Builder(ACCOUNT, KeySid.random().value(), AUTH_TOKEN)
        .identity("alice")
        .grant(new VoiceGrant().setIncomingAllow(true))
        .clock(clockAt(NOW))
        .build()
        .toJwt();
  }

  @Test
  void verifyWhenAccessTokenSignedWithTheAuthTokenThenBothMethodsRefuseItsCty() {
    String accessToken = accessTokenSignedWithTheAuthToken();

    assertRefused(() -> verifier.verifyClientCapability(accessToken), 20102);
    assertRefused(() -> verifier.verifyTaskRouterCapability(accessToken), 20102);
  }

  @Test
  void accessTokenVerifierWhenGivenCapabilityTokensThenRefusesThem() {
    AccessTokenVerifier accessVerifier =
        AccessTokenVerifier.builder(
                sid -> SigningKey.of(sid, ACCOUNT, AUTH_TOKEN.getBytes(StandardCharsets.UTF_8)))
            .clock(clockAt(NOW))
            .build();
    String client = CapabilityTestSupport.client().build().toJwt();
    String taskRouter = CapabilityTestSupport.worker().build().toJwt();

    assertRefused(() -> accessVerifier.verify(client), 20102);
    assertRefused(() -> accessVerifier.verify(taskRouter), 20102);
  }

  @Test
  void verifyWhenEachKindGoesToEachMethodThenOnlyTheDiagonalPasses() throws Exception {
    String client = CapabilityTestSupport.client().build().toJwt();
    String taskRouter = CapabilityTestSupport.worker().build().toJwt();

    assertThat(verifier.verifyClientCapability(client)).isNotNull();
    assertThat(verifier.verifyTaskRouterCapability(taskRouter)).isNotNull();
    assertRefused(() -> verifier.verifyClientCapability(taskRouter), 20101);
    assertRefused(() -> verifier.verifyTaskRouterCapability(client), 20101);
  }

  // ---------------------------------------------------------------------------------------------
  // Auth token lookup (J-06, J-11)

  @Test
  void verifyWhenSignedWithTheSecondaryAuthTokenThenAccepted() throws Exception {
    CapabilityTokenVerifier rotating =
        CapabilityTokenVerifier.builder(
                sid ->
                    List.of(
                        AUTH_TOKEN.getBytes(StandardCharsets.UTF_8),
                        OTHER_AUTH_TOKEN.getBytes(StandardCharsets.UTF_8)))
            .clock(clockAt(NOW))
            .build();
    String jwt =
        new ClientCapabilityToken.Builder(ACCOUNT, OTHER_AUTH_TOKEN)
            .clock(clockAt(NOW))
            .build()
            .toJwt();

    assertThat(rotating.verifyClientCapability(jwt).accountSid()).isEqualTo(ACCOUNT);
  }

  @Test
  void verifyWhenLookupKnowsNoAuthTokenThenRefusedWith20103() {
    String jwt = CapabilityTestSupport.client().build().toJwt();

    assertRefused(
        () -> CapabilityTokenVerifier.builder(sid -> null).build().verifyClientCapability(jwt),
        20103);
    assertRefused(
        () -> CapabilityTokenVerifier.builder(sid -> List.of()).build().verifyClientCapability(jwt),
        20103);
  }

  @Test
  void verifyWhenIssuerMalformedThenLookupIsNeverCalled() {
    AtomicInteger calls = new AtomicInteger();
    List<String> seen = new ArrayList<>();
    CapabilityTokenVerifier counting =
        CapabilityTokenVerifier.builder(
                sid -> {
                  calls.incrementAndGet();
                  seen.add(sid);
                  return List.of(AUTH_TOKEN.getBytes(StandardCharsets.UTF_8));
                })
            .clock(clockAt(NOW))
            .build();

    for (String iss :
        List.of("' OR '1'='1", "../AC0123456789abcdef0123456789abcdef", "x".repeat(4096))) {
      String jwt =
          sign(
              "{\"iss\":"
                  + io.callsign.tokens.internal.Json.toJson(iss)
                  + ",\"exp\":"
                  + (NOW + 60)
                  + ",\"scope\":\"\"}");
      assertRefused(() -> counting.verifyClientCapability(jwt), 20103);
    }
    assertThat(calls).hasValue(0);
    assertThat(seen).isEmpty();
  }

  @Test
  void verifyWhenLookupReturnsAShortAuthTokenThenFailsLoudly() {
    String jwt = CapabilityTestSupport.client().build().toJwt();
    CapabilityTokenVerifier misconfigured =
        CapabilityTokenVerifier.builder(sid -> List.of(new byte[16])).build();

    assertThatThrownBy(() -> misconfigured.verifyClientCapability(jwt))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("32 bytes");
  }

  @Test
  void builderWhenAuthTokenShortOrAccountMalformedThenRefused() {
    assertThatThrownBy(() -> CapabilityTokenVerifier.builder(ACCOUNT, "short"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CapabilityTokenVerifier.builder("AC1", AUTH_TOKEN))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
