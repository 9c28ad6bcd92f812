package io.callsign.server.sso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.callsign.server.sso.SignInFailure.SignInException;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.SsoProfileSid;
import java.net.URI;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * ID-token validation against crafted tokens, as the OpenID Foundation's relying-party tests craft
 * them (security-checklist.md 4.4): {@code alg: none}, a MAC keyed with the client secret, a key
 * the provider does not publish, an algorithm it does not use, and each claim wrong or missing.
 */
class OidcProvidersTest {
  private static final String ISSUER = "https://idp.example.com";
  private static final String CLIENT = "callsign";
  private static final String SECRET = "0123456789abcdef0123456789abcdef-client-secret";
  private static final String NONCE = "n-0S6_WzA2Mj";
  private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  private static RSAKey key;
  private static RSAKey impostor;
  private static ECKey ecKey;

  private final OidcProviders providers = new OidcProviders(Clock.fixed(NOW, ZoneOffset.UTC));
  private final OidcProviders.Provider provider =
      new OidcProviders.Provider(
          ISSUER,
          URI.create(ISSUER + "/authorize"),
          URI.create(ISSUER + "/token"),
          false,
          Set.of(JWSAlgorithm.RS256),
          false,
          new ProviderKeys(
              URI.create(ISSUER + "/jwks"),
              uri -> new JWKSet(List.of(key, ecKey)),
              Clock.fixed(NOW, ZoneOffset.UTC)),
          NOW);
  private final SsoProfile profile =
      new SsoProfile(
          SsoProfileSid.random(),
          AccountSid.random(),
          FlexInstanceSid.random(),
          "Example",
          ISSUER,
          CLIENT,
          SECRET,
          List.of("openid"),
          "preferred_username",
          "email",
          "name",
          null,
          "agent",
          List.of("https://flex.example.com/done"),
          true,
          SsoProfile.SINGLE_PAGE_APP,
          0,
          NOW,
          NOW);

  @BeforeAll
  static void generate() throws JOSEException {
    key = new RSAKeyGenerator(2048).keyID("k1").generate();
    // Another key under the same kid: a forged signature.
    impostor = new RSAKeyGenerator(2048).keyID("k1").generate();
    ecKey = new ECKeyGenerator(Curve.P_256).keyID("ec").generate();
  }

  private static JWTClaimsSet.Builder claims() {
    return new JWTClaimsSet.Builder()
        .issuer(ISSUER)
        .subject("alice-sub")
        .audience(CLIENT)
        .issueTime(Date.from(NOW))
        .expirationTime(Date.from(NOW.plusSeconds(300)))
        .claim("nonce", NONCE);
  }

  private static SignedJWT rs256(RSAKey with, JWTClaimsSet claims) throws JOSEException {
    SignedJWT jwt =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(with.getKeyID()).build(), claims);
    jwt.sign(new RSASSASigner(with));
    return jwt;
  }

  // As it comes from a provider: a string, parsed.
  private JWTClaimsSet validate(JWT token) throws ParseException {
    return providers.validate(provider, profile, JWTParser.parse(token.serialize()), NONCE);
  }

  private void assertRefused(JWT token, String check) {
    assertThatThrownBy(() -> validate(token))
        .isInstanceOfSatisfying(
            SignInException.class,
            e -> {
              assertThat(e.failure()).isEqualTo(SignInFailure.ID_TOKEN_INVALID);
              assertThat(e.detail()).isEqualTo(check);
            });
  }

  private void assertRefused(UnaryOperator<JWTClaimsSet.Builder> change, String check)
      throws JOSEException {
    assertRefused(rs256(key, change.apply(claims()).build()), check);
  }

  @Test
  void validateWhenEverythingIsRightThenReturnsTheClaims() throws Exception {
    assertThat(validate(rs256(key, claims().build())).getSubject()).isEqualTo("alice-sub");
    // Within the minute of skew either way.
    JWTClaimsSet lateButInSkew = claims().expirationTime(Date.from(NOW.minusSeconds(30))).build();
    assertThat(validate(rs256(key, lateButInSkew)).getSubject()).isEqualTo("alice-sub");
    JWTClaimsSet severalAudiencesWithAzp =
        claims().audience(List.of(CLIENT, "another")).claim("azp", CLIENT).build();
    assertThat(validate(rs256(key, severalAudiencesWithAzp))).isNotNull();
  }

  @Test
  void validateWhenUnsignedOrMacSignedWithTheClientSecretThenRefused() throws Exception {
    assertRefused(new PlainJWT(claims().build()), "signature");
    SignedJWT hs256 = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims().build());
    hs256.sign(new MACSigner(SECRET));
    assertRefused(hs256, "signature");
  }

  @Test
  void validateWhenSignedByAnotherKeyOrAlgorithmThanTheProvidersThenRefused() throws Exception {
    assertRefused(rs256(impostor, claims().build()), "signature");
    // The provider publishes an EC key but signs ID tokens with RS256 only.
    SignedJWT es256 =
        new SignedJWT(
            new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec").build(), claims().build());
    es256.sign(new ECDSASigner(ecKey));
    assertRefused(es256, "signature");
  }

  @Test
  void validateWhenAClaimIsWrongOrMissingThenRefusedNamingTheCheck() throws Exception {
    assertRefused(c -> c.issuer("https://other.example.com"), "issuer");
    assertRefused(c -> c.issuer(null), "claims");
    assertRefused(c -> c.audience("another-client"), "audience");
    assertRefused(c -> c.audience(List.of(CLIENT, "another")), "audience");
    assertRefused(c -> c.audience(List.of(CLIENT, "another")).claim("azp", "another"), "audience");
    assertRefused(c -> c.claim("nonce", "another-nonce"), "nonce");
    assertRefused(c -> c.claim("nonce", null), "nonce");
    assertRefused(c -> c.subject(null), "claims");
    assertRefused(c -> c.subject(" "), "claims");
    assertRefused(c -> c.subject("s".repeat(256)), "claims");
    assertRefused(c -> c.issueTime(null), "claims");
    assertRefused(c -> c.expirationTime(Date.from(NOW.minusSeconds(61))), "expired");
    assertRefused(c -> c.notBeforeTime(Date.from(NOW.plusSeconds(120))), "claims");
  }
}
