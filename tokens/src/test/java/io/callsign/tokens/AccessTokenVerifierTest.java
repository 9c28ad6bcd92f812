package io.callsign.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccessTokenVerifierTest {
  private final TestKeys keys = new TestKeys();
  private final long now = TestKeys.NOW.getEpochSecond();

  private static void assertRefused(ThrowingCallable call, TokenError error) {
    assertThatThrownBy(call)
        .isInstanceOf(InvalidTokenException.class)
        .satisfies(e -> assertThat(((InvalidTokenException) e).error()).isEqualTo(error));
  }

  private static String b64(String json) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  // ---- success --------------------------------------------------------------------------------

  @Test
  void verifyWhenTokenValidThenReturnsItsClaims() throws Exception {
    String jwt =
        keys.token()
            .region("ie1")
            .nbf(TestKeys.NOW)
            .grant(new VideoGrant().setRoom("r"))
            .build()
            .toJwt();

    VerifiedAccessToken token = keys.verifier().verify(jwt);

    assertThat(token.keySid()).isEqualTo(keys.keySid);
    assertThat(token.accountSid()).isEqualTo(keys.accountSid);
    assertThat(token.identity()).contains("alice");
    assertThat(token.grant("video")).contains(Map.of("room", "r"));
    assertThat(token.grant("identity")).isEmpty();
    assertThat(token.region()).contains("ie1");
    assertThat(token.expiresAt()).isEqualTo(TestKeys.NOW.plusSeconds(3600));
    assertThat(token.notBefore()).contains(TestKeys.NOW);
    assertThat(token.issuedAt()).isEmpty();
    assertThat(token.id()).contains(keys.keySid + "-" + now);
  }

  @Test
  void verifyWhenRequiredAccountMatchesThenAccepts() throws Exception {
    AccessTokenVerifier verifier =
        AccessTokenVerifier.builder(keys.lookup())
            .clock(TestKeys.CLOCK)
            .requireAccount(keys.accountSid)
            .build();

    assertThat(verifier.verify(keys.token().build().toJwt()).accountSid())
        .isEqualTo(keys.accountSid);
  }

  @Test
  void verifyWhenHeaderOrderAndTypDifferThenAccepts() throws Exception {
    String jwt =
        keys.sign(
            "{\"cty\":\"twilio-fpa;v=1\",\"typ\":\"jwt\",\"alg\":\"HS256\"}",
            keys.payload(now + 60));

    assertThat(keys.verifier().verify(jwt).identity()).contains("alice");
  }

  @Test
  void verifyWhenCtyHasApplicationPrefixThenAccepts() throws Exception {
    String header = "{\"alg\":\"HS256\",\"cty\":\"application/twilio-fpa;v=1\"}";

    assertThat(keys.verifier().verify(keys.sign(header, keys.payload(now + 60))).keySid())
        .isEqualTo(keys.keySid);
  }

  @Test
  void verifyWhenTypAbsentThenAccepts() throws Exception {
    String jwt =
        keys.sign("{\"alg\":\"HS256\",\"cty\":\"twilio-fpa;v=1\"}", keys.payload(now + 60));

    assertThat(keys.verifier().verify(jwt).keySid()).isEqualTo(keys.keySid);
  }

  @Test
  void verifyWhenLegacyGrantsPresentThenAccepts() throws Exception {
    String payload =
        keys.payload(now + 60)
            .replace(
                "{\"identity\":\"alice\"}",
                "{\"identity\":\"alice\",\"ip_messaging\":{\"service_sid\":\"IS1\"},\"rtc\":{\"configuration_profile_sid\":\"VS1\"}}");

    assertThat(keys.verifier().verify(keys.sign(keys.header(), payload)).grant("ip_messaging"))
        .contains(Map.of("service_sid", "IS1"));
  }

  // ---- tampering ------------------------------------------------------------------------------

  @Test
  void verifyWhenAnyByteFlippedThenRefused() throws Exception {
    String jwt = keys.token().grant(new VideoGrant().setRoom("r")).build().toJwt();
    AccessTokenVerifier verifier = keys.verifier();
    assertThat(verifier.verify(jwt).identity()).contains("alice");

    for (int i = 0; i < jwt.length(); i++) {
      for (int bit : new int[] {0x01, 0x02, 0x20}) {
        char[] chars = jwt.toCharArray();
        chars[i] = (char) (chars[i] ^ bit);
        String tampered = new String(chars);
        int position = i;
        assertThatThrownBy(() -> verifier.verify(tampered))
            .as("flip 0x%x at %d", bit, position)
            .isInstanceOf(InvalidTokenException.class);
      }
    }
  }

  @Test
  void verifyWhenSignatureFromAnotherSecretThenRefusedWithSignatureCode() {
    String forged = TestKeys.sign(keys.header(), keys.payload(now + 60), TestKeys.randomSecret());

    assertRefused(() -> keys.verifier().verify(forged), TokenError.INVALID_SIGNATURE);
  }

  @Test
  void verifyWhenSignatureTruncatedOrEmptyThenRefusedWithSignatureCode() {
    String jwt = keys.token().build().toJwt();
    String withoutSignature = jwt.substring(0, jwt.lastIndexOf('.') + 1);

    assertRefused(
        () -> keys.verifier().verify(jwt.substring(0, jwt.length() - 4)),
        TokenError.INVALID_SIGNATURE);
    assertRefused(() -> keys.verifier().verify(withoutSignature), TokenError.INVALID_SIGNATURE);
  }

  @Test
  void verifyWhenPayloadSwappedFromAnotherTokenThenRefused() {
    String[] a = keys.token().identity("alice").build().toJwt().split("\\.");
    String[] b = keys.token().identity("mallory").build().toJwt().split("\\.");

    assertRefused(
        () -> keys.verifier().verify(a[0] + "." + b[1] + "." + a[2]), TokenError.INVALID_SIGNATURE);
  }

  // ---- header ---------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "none", "None", "NONE", "nOnE", "", "HS384", "HS512", "RS256", "ES256", "PS256", "hs256"
      })
  void verifyWhenAlgNotHs256ThenRefusedAsBadHeader(String alg) {
    String jwt =
        keys.sign(
            "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}",
            keys.payload(now + 60));

    assertRefused(() -> keys.verifier().verify(jwt), TokenError.INVALID_HEADER);
  }

  @Test
  void verifyWhenAlgNoneWithEmptySignatureThenRefusedAsBadHeader() {
    String jwt =
        b64("{\"alg\":\"none\",\"cty\":\"twilio-fpa;v=1\"}")
            + "."
            + b64(keys.payload(now + 60))
            + ".";

    assertRefused(() -> keys.verifier().verify(jwt), TokenError.INVALID_HEADER);
  }

  @Test
  void verifyWhenAlgMissingOrNotAStringThenRefused() {
    assertRefused(
        () ->
            keys.verifier()
                .verify(keys.sign("{\"cty\":\"twilio-fpa;v=1\"}", keys.payload(now + 60))),
        TokenError.INVALID_HEADER);
    assertRefused(
        () ->
            keys.verifier()
                .verify(
                    keys.sign(
                        "{\"alg\":[\"HS256\"],\"cty\":\"twilio-fpa;v=1\"}",
                        keys.payload(now + 60))),
        TokenError.INVALID_HEADER);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"cty\":\"twilio-fpa;v=2\"}",
        "{\"alg\":\"HS256\",\"cty\":\"TWILIO-FPA;V=1\"}",
        "{\"alg\":\"HS256\",\"cty\":\"JWT\"}",
        "{\"alg\":\"HS256\",\"cty\":\"text/twilio-fpa;v=1\"}",
        "{\"alg\":\"HS256\",\"cty\":1}"
      })
  void verifyWhenCtyMissingOrWrongThenRefusedAsBadHeader(String header) {
    assertRefused(
        () -> keys.verifier().verify(keys.sign(header, keys.payload(now + 60))),
        TokenError.INVALID_HEADER);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"typ\":\"JOSE+JSON\"",
        "\"crit\":[\"exp\"]",
        "\"zip\":\"DEF\"",
        "\"enc\":\"A256GCM\"",
        "\"b64\":false",
        "\"twr\":7"
      })
  void verifyWhenHeaderHasRefusedMemberThenRefusedAsBadHeader(String member) {
    String header = "{\"alg\":\"HS256\",\"cty\":\"twilio-fpa;v=1\"," + member + "}";

    assertRefused(
        () -> keys.verifier().verify(keys.sign(header, keys.payload(now + 60))),
        TokenError.INVALID_HEADER);
  }

  @Test
  void verifyWhenHeaderHasDuplicateAlgThenRefused() {
    String header = "{\"alg\":\"none\",\"alg\":\"HS256\",\"cty\":\"twilio-fpa;v=1\"}";

    assertRefused(
        () -> keys.verifier().verify(keys.sign(header, keys.payload(now + 60))),
        TokenError.INVALID_HEADER);
  }

  @Test
  void verifyWhenHeaderIsNotJsonThenRefusedAsBadHeader() {
    String jwt = keys.token().build().toJwt();
    String rest = jwt.substring(jwt.indexOf('.'));

    assertRefused(() -> keys.verifier().verify(b64("not json") + rest), TokenError.INVALID_HEADER);
    assertRefused(() -> keys.verifier().verify(b64("[1,2]") + rest), TokenError.INVALID_HEADER);
    assertRefused(() -> keys.verifier().verify("!!!" + rest), TokenError.INVALID_HEADER);
  }

  // ---- structure ------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(strings = {"", "abc", "a.b", "a.b.c.d", "a.b.c.d.e", "...", "a.b..c"})
  void verifyWhenNotThreeSegmentsThenRefusedAsInvalid(String token) {
    assertRefused(() -> keys.verifier().verify(token), TokenError.INVALID);
  }

  @ParameterizedTest
  @ValueSource(strings = {"..", "a..c", ".b.c"})
  void verifyWhenASegmentIsEmptyThenRefused(String token) {
    assertThatThrownBy(() -> keys.verifier().verify(token))
        .isInstanceOf(InvalidTokenException.class);
  }

  @Test
  void verifyWhenAValidTokenGainsADotAnywhereThenRefusedAsNotThreeSegments() throws Exception {
    // Whether the header is well-formed (even already cached) or not, and whatever else is wrong,
    // a fourth segment is what the refusal names.
    String token = keys.token().build().toJwt();
    keys.verifier().verify(token);
    int first = token.indexOf('.');
    int last = token.lastIndexOf('.');
    String[] variants = {
      token + ".",
      "." + token,
      token.substring(0, first + 10) + "." + token.substring(first + 10),
      token.substring(0, last) + "." + token.substring(last),
      token.substring(0, 5) + "." + token.substring(5),
      token.substring(0, first + 10) + ".\u00e9" + token.substring(first + 10),
      "!!" + token + ".x",
    };
    for (String variant : variants) {
      assertThatThrownBy(() -> keys.verifier().verify(variant))
          .as(variant)
          .isInstanceOf(InvalidTokenException.class)
          .hasMessageContaining("exactly three segments")
          .satisfies(
              e -> assertThat(((InvalidTokenException) e).error()).isEqualTo(TokenError.INVALID));
    }
  }

  @Test
  void verifyWhenNullThenRefusedAsInvalid() {
    assertRefused(() -> keys.verifier().verify(null), TokenError.INVALID);
  }

  @Test
  void verifyWhenSegmentsPaddedOrStandardBase64ThenRefused() {
    String jwt = keys.token().identity("ab").build().toJwt();
    String[] parts = jwt.split("\\.");

    assertThatThrownBy(() -> keys.verifier().verify(parts[0] + "=." + parts[1] + "." + parts[2]))
        .isInstanceOf(InvalidTokenException.class);
    assertThatThrownBy(
            () -> keys.verifier().verify(parts[0] + "." + parts[1] + "." + parts[2] + "="))
        .isInstanceOf(InvalidTokenException.class);
    String standard = parts[2].replace('-', '+').replace('_', '/');
    if (!standard.equals(parts[2])) {
      assertRefused(
          () -> keys.verifier().verify(parts[0] + "." + parts[1] + "." + standard),
          TokenError.INVALID_SIGNATURE);
    }
  }

  @Test
  void verifyWhenPayloadIsNotJsonObjectThenRefusedAsInvalid() {
    for (String payload :
        new String[] {"not json", "[]", "\"s\"", "{\"a\":1", "{\"a\":1}x", "{'a':1}"}) {
      assertRefused(
          () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.INVALID);
    }
  }

  @Test
  void verifyWhenPayloadHasDuplicateClaimThenRefusedAsInvalid() {
    String payload =
        keys.payload(now + 60).replace("\"exp\":", "\"exp\":" + (now + 999_999) + ",\"exp\":");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.INVALID);
  }

  @Test
  void verifyWhenPayloadHasInvalidUtf8OrBomOrLoneSurrogateThenRefusedAsInvalid() {
    String header = b64(keys.header());
    byte[][] payloads = {
      {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0x80, '"', '}'},
      {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'},
      "{\"a\":\"\\ud800\"}".getBytes(StandardCharsets.US_ASCII),
      {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'},
    };
    for (byte[] payload : payloads) {
      String jwt =
          header + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(payload) + ".AAAA";
      assertRefused(() -> keys.verifier().verify(jwt), TokenError.INVALID);
    }
  }

  @Test
  void verifyWhenTokenLongerThanCapThenRefusedBeforeDecoding() {
    String huge = "a".repeat(AccessTokenVerifier.DEFAULT_MAX_TOKEN_LENGTH + 1);

    assertRefused(() -> keys.verifier().verify(huge), TokenError.INVALID);
    assertThat(keys.lookups).hasValue(0);
  }

  @Test
  void verifyWhenCapLoweredThenLongerTokensRefused() {
    AccessTokenVerifier verifier =
        AccessTokenVerifier.builder(keys.lookup())
            .clock(TestKeys.CLOCK)
            .maxTokenLength(100)
            .build();

    assertRefused(() -> verifier.verify(keys.token().build().toJwt()), TokenError.INVALID);
  }

  @Test
  void verifyWhenNonAsciiCharacterThenRefused() {
    String jwt = keys.token().build().toJwt();

    assertRefused(
        () -> keys.verifier().verify(jwt.replaceFirst("e", "\u00e9")), TokenError.INVALID);
    assertRefused(
        () -> keys.verifier().verify(jwt.replaceFirst("e", "\u4e00")), TokenError.INVALID);
  }

  @Test
  void verifyWhenAstralCharactersShiftOffsetsThenRefusedAsInvalid() {
    // Found by Jazzer: a surrogate pair is two chars but one Latin-1 byte.
    String token = "\uD83D\uDE00".repeat(20) + ".a.b";
    String valid = keys.token().build().toJwt();

    assertRefused(() -> keys.verifier().verify(token), TokenError.INVALID);
    assertRefused(
        () -> keys.verifier().verify("\uD83D\uDE00" + valid.substring(1)), TokenError.INVALID);
  }

  @Test
  void verifyWhenJsonNestedTooDeeplyThenRefusedAsInvalid() {
    String payload =
        keys.payload(now + 60)
            .replace(
                "{\"identity\":\"alice\"}",
                "{\"identity\":\"alice\",\"x\":" + "[".repeat(40) + "]".repeat(40) + "}");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.INVALID);
  }

  // ---- issuer and subject ---------------------------------------------------------------------

  @Test
  void verifyWhenKeyUnknownThenRefusedAsIssuerSubject() {
    String jwt = keys.token().build().toJwt();
    keys.keys.clear();

    assertRefused(() -> keys.verifier().verify(jwt), TokenError.INVALID_ISSUER_OR_SUBJECT);
  }

  @Test
  void verifyWhenKeyBelongsToAnotherAccountThenRefusedAsIssuerSubject() {
    TestKeys other = new TestKeys();
    String jwt =
        new AccessToken.Builder(other.accountSid, keys.keySid, keys.secret)
            .clock(TestKeys.CLOCK)
            .build()
            .toJwt();

    assertRefused(() -> keys.verifier().verify(jwt), TokenError.INVALID_ISSUER_OR_SUBJECT);
  }

  @Test
  void verifyWhenRequiredAccountDiffersThenRefusedAsIssuerSubject() {
    AccessTokenVerifier verifier =
        AccessTokenVerifier.builder(keys.lookup())
            .clock(TestKeys.CLOCK)
            .requireAccount(AccountSid.random().value())
            .build();

    assertRefused(
        () -> verifier.verify(keys.token().build().toJwt()), TokenError.INVALID_ISSUER_OR_SUBJECT);
  }

  @Test
  void verifyWhenLookupReturnsAnotherKeyThenRefused() {
    String jwt = keys.token().build().toJwt();
    SigningKey impostor = SigningKey.of(KeySid.random().value(), keys.accountSid, keys.secret);
    AccessTokenVerifier verifier =
        AccessTokenVerifier.builder(sid -> impostor).clock(TestKeys.CLOCK).build();

    assertRefused(() -> verifier.verify(jwt), TokenError.INVALID_ISSUER_OR_SUBJECT);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "' OR '1'='1",
        "../../etc/passwd",
        "AC00000000000000000000000000000000",
        "SK123",
        "sk0123456789abcdef0123456789abcdef"
      })
  void verifyWhenIssuerMalformedThenRefusedWithoutLookup(String iss) {
    String payload =
        keys.payload(now + 60)
            .replace("\"iss\":\"" + keys.keySid + "\"", "\"iss\":\"" + iss + "\"");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)),
        TokenError.INVALID_ISSUER_OR_SUBJECT);
    assertThat(keys.lookups).hasValue(0);
  }

  @Test
  void verifyWhenIssuerHugeThenRefusedWithoutLookup() {
    String payload =
        keys.payload(now + 60)
            .replace("\"iss\":\"" + keys.keySid + "\"", "\"iss\":\"SK" + "a".repeat(4096) + "\"");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)),
        TokenError.INVALID_ISSUER_OR_SUBJECT);
    assertThat(keys.lookups).hasValue(0);
  }

  @Test
  void verifyWhenMalformedIssuerFollowsAWellFormedOneThenStillRefusedWithoutLookup()
      throws Exception {
    keys.verifier().verify(keys.token().build().toJwt());
    long lookupsBefore = keys.lookups.get();
    String payload =
        keys.payload(now + 60)
            .replace(
                "\"iss\":\"" + keys.keySid + "\"",
                "\"iss\":\"" + keys.keySid.substring(0, 33) + "g\"");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)),
        TokenError.INVALID_ISSUER_OR_SUBJECT);
    assertThat(keys.lookups.get()).isEqualTo(lookupsBefore);
  }

  @Test
  void verifyWhenSubjectMalformedThenRefusedNamingTheSubject() {
    String payload =
        keys.payload(now + 60)
            .replace("\"sub\":\"" + keys.accountSid + "\"", "\"sub\":\"AC" + "z".repeat(32) + "\"");

    assertThatThrownBy(() -> keys.verifier().verify(keys.sign(keys.header(), payload)))
        .isInstanceOf(InvalidTokenException.class)
        .hasMessageContaining("sub must be an account SID")
        .satisfies(
            e ->
                assertThat(((InvalidTokenException) e).error())
                    .isEqualTo(TokenError.INVALID_ISSUER_OR_SUBJECT));
  }

  @Test
  void verifyWhenIssuerOrSubjectMissingThenRefusedAsIssuerSubject() {
    String noIss = keys.payload(now + 60).replace("\"iss\":\"" + keys.keySid + "\",", "");
    String noSub = keys.payload(now + 60).replace("\"sub\":\"" + keys.accountSid + "\",", "");
    String numericSub =
        keys.payload(now + 60).replace("\"sub\":\"" + keys.accountSid + "\"", "\"sub\":1");

    for (String payload : new String[] {noIss, noSub, numericSub}) {
      assertRefused(
          () -> keys.verifier().verify(keys.sign(keys.header(), payload)),
          TokenError.INVALID_ISSUER_OR_SUBJECT);
    }
  }

  // ---- time -----------------------------------------------------------------------------------

  @Test
  void verifyWhenAroundExpThenHonoursSixtySecondsOfSkew() throws Exception {
    String jwt = keys.token().ttl(600).build().toJwt();
    Instant exp = TestKeys.NOW.plusSeconds(600);

    keys.verifierAt(exp.minusSeconds(61)).verify(jwt);
    keys.verifierAt(exp).verify(jwt);
    keys.verifierAt(exp.plusSeconds(59)).verify(jwt);
    assertRefused(() -> keys.verifierAt(exp.plusSeconds(60)).verify(jwt), TokenError.EXPIRED);
    assertRefused(() -> keys.verifierAt(exp.plusSeconds(61)).verify(jwt), TokenError.EXPIRED);
  }

  @Test
  void verifyWhenAroundNbfThenHonoursSixtySecondsOfSkew() throws Exception {
    Instant nbf = TestKeys.NOW.plusSeconds(300);
    String jwt = keys.token().nbf(nbf).build().toJwt();

    keys.verifierAt(nbf.minusSeconds(59)).verify(jwt);
    keys.verifierAt(nbf.minusSeconds(60)).verify(jwt);
    keys.verifierAt(nbf.plusSeconds(61)).verify(jwt);
    assertRefused(
        () -> keys.verifierAt(nbf.minusSeconds(61)).verify(jwt), TokenError.NOT_YET_VALID);
  }

  @Test
  void verifyWhenSkewSetToZeroThenExpiresExactlyAtExp() throws Exception {
    String jwt = keys.token().ttl(600).build().toJwt();
    Instant exp = TestKeys.NOW.plusSeconds(600);
    AccessTokenVerifier.Builder strict =
        AccessTokenVerifier.builder(keys.lookup()).clockSkew(Duration.ZERO);

    strict
        .clock(java.time.Clock.fixed(exp.minusSeconds(1), java.time.ZoneOffset.UTC))
        .build()
        .verify(jwt);
    assertRefused(
        () ->
            strict.clock(java.time.Clock.fixed(exp, java.time.ZoneOffset.UTC)).build().verify(jwt),
        TokenError.EXPIRED);
  }

  @Test
  void clockSkewWhenAboveSixtySecondsOrNegativeThenRefused() {
    AccessTokenVerifier.Builder builder = AccessTokenVerifier.builder(keys.lookup());

    assertThatThrownBy(() -> builder.clockSkew(Duration.ofSeconds(61)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.clockSkew(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void verifyWhenExpMissingOrNotANumberThenRefusedAsExpired() {
    String noExp = keys.payload(now + 60).replace(",\"exp\":" + (now + 60), "");
    String stringExp =
        keys.payload(now + 60).replace("\"exp\":" + (now + 60), "\"exp\":\"" + (now + 60) + "\"");
    String fractionalExp =
        keys.payload(now + 60).replace("\"exp\":" + (now + 60), "\"exp\":" + (now + 60) + ".5");
    String negativeExp = keys.payload(now + 60).replace("\"exp\":" + (now + 60), "\"exp\":-1");

    for (String payload : new String[] {noExp, stringExp, fractionalExp, negativeExp}) {
      assertRefused(
          () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.EXPIRED);
    }
  }

  @Test
  void verifyWhenLifetimeOver24HoursWithoutIatThenRefusedAsTtlTooLong() {
    String payload = keys.payload(now + 86_400 + 61);

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.TTL_TOO_LONG);
  }

  @Test
  void verifyWhenIatGivesLifetimeOver24HoursThenRefusedAsTtlTooLong() {
    String payload =
        keys.payload(now + 100).replace("\"exp\":", "\"iat\":" + (now - 86_301) + ",\"exp\":");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.TTL_TOO_LONG);
  }

  @Test
  void verifyWhenIatGivesLifetimeOfExactly24HoursThenAccepts() throws Exception {
    String payload = keys.payload(now + 86_400).replace("\"exp\":", "\"iat\":" + now + ",\"exp\":");

    assertThat(keys.verifier().verify(keys.sign(keys.header(), payload)).issuedAt())
        .contains(TestKeys.NOW);
  }

  @Test
  void verifyWhenIatInTheFutureThenRefusedAsNotYetValid() {
    String payload =
        keys.payload(now + 600).replace("\"exp\":", "\"iat\":" + (now + 61) + ",\"exp\":");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.NOT_YET_VALID);
  }

  @Test
  void verifyWhenNbfNotANumberThenRefusedAsNotYetValid() {
    String payload = keys.payload(now + 600).replace("\"exp\":", "\"nbf\":\"soon\",\"exp\":");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.NOT_YET_VALID);
  }

  @Test
  void verifyWhenNbfFarInThePastThenAccepts() throws Exception {
    // twilio-java and twilio-python tokens may carry an old nbf: lifetime is measured from now or
    // iat.
    String payload = keys.payload(now + 600).replace("\"exp\":", "\"nbf\":1700000000,\"exp\":");

    assertThat(keys.verifier().verify(keys.sign(keys.header(), payload)).notBefore()).isPresent();
  }

  // ---- grants ---------------------------------------------------------------------------------

  @ParameterizedTest
  @ValueSource(
      strings = {
        "\"grants\":[]",
        "\"grants\":\"video\"",
        "\"grants\":{\"identity\":7}",
        "\"grants\":{\"video\":\"room\"}",
        "\"grants\":{\"video\":{\"room\":1}}",
        "\"grants\":{\"voice\":{\"incoming\":{\"allow\":\"yes\"}}}",
        "\"grants\":{\"voice\":{\"outgoing\":{}}}",
        "\"grants\":{\"voice\":{\"outgoing\":{\"application_sid\":\"AP1\",\"params\":[]}}}",
        "\"grants\":{\"chat\":{\"service_sid\":false}}",
        "\"grants\":{\"task_router\":{\"role\":{}}}",
        "\"grants\":null"
      })
  void verifyWhenGrantsMalformedThenRefusedAsBadGrants(String grants) {
    String payload = keys.payload(now + 60).replace("\"grants\":{\"identity\":\"alice\"}", grants);

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.INVALID_GRANTS);
  }

  @Test
  void verifyWhenGrantsMissingThenRefusedAsBadGrants() {
    String payload = keys.payload(now + 60).replace(",\"grants\":{\"identity\":\"alice\"}", "");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.INVALID_GRANTS);
  }

  @Test
  void verifyWhenJtiNotAStringThenRefusedAsInvalid() {
    String payload =
        keys.payload(now + 60).replace("\"jti\":\"" + keys.keySid + "-1\"", "\"jti\":1");

    assertRefused(
        () -> keys.verifier().verify(keys.sign(keys.header(), payload)), TokenError.INVALID);
  }

  // ---- kinds never cross ----------------------------------------------------------------------

  @Test
  void verifyWhenGenericJwtSignedWithTheKeyThenRefusedAsBadHeader() {
    String jwt =
        Jwt.encode(
            Map.of("iss", keys.keySid, "sub", keys.accountSid, "exp", now + 60, "grants", Map.of()),
            keys.secret);

    assertRefused(() -> keys.verifier().verify(jwt), TokenError.INVALID_HEADER);
  }

  @Test
  void errorWhenRefusedThenCarriesTwilioCodeAndDocsLink() {
    assertThat(TokenError.EXPIRED.code()).isEqualTo(20104);
    assertThat(TokenError.TTL_TOO_LONG.code()).isEqualTo(20157);
    assertThat(TokenError.INVALID_SIGNATURE.moreInfo())
        .isEqualTo("https://www.twilio.com/docs/errors/20107");
  }
}
