package io.callsign.server.sso;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.http.HTTPResponse;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.callsign.server.http.ApiError;
import io.callsign.server.sso.SignInFailure.SignInException;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The OpenID Connect providers users sign in through, over Nimbus oauth2-oidc-sdk: discovery (kept
 * an hour), the authorization URL (always PKCE S256), redeeming a code at the token endpoint and
 * validating the ID token against the provider's keys ({@link ProviderKeys}). No HTTP server types.
 * Every call to a provider has 5 s timeouts and follows no redirect.
 */
final class OidcProviders {
  /** How long a discovery document is used before it is read again. */
  static final Duration METADATA_LIFETIME = Duration.ofHours(1);

  /** How far the provider's clock may be off when checking an ID token's times. */
  static final int MAX_CLOCK_SKEW_SECONDS = 60;

  private static final int TIMEOUT_MILLIS = 5_000;
  private static final int MAX_PROVIDERS = 1_000;
  private static final String DISCOVERY = "/.well-known/openid-configuration";
  // ID tokens must be signed with a provider's private key: never "none", never a MAC (which would
  // make the client secret a signing key).
  private static final Set<JWSAlgorithm> ASYMMETRIC =
      Set.of(
          JWSAlgorithm.RS256,
          JWSAlgorithm.RS384,
          JWSAlgorithm.RS512,
          JWSAlgorithm.PS256,
          JWSAlgorithm.PS384,
          JWSAlgorithm.PS512,
          JWSAlgorithm.ES256,
          JWSAlgorithm.ES384,
          JWSAlgorithm.ES512,
          JWSAlgorithm.EdDSA);

  /**
   * What Callsign uses of a provider's discovery document.
   *
   * @param issuer the issuer, equal to the one configured
   * @param authorizationEndpoint where the browser is sent
   * @param tokenEndpoint where codes are redeemed
   * @param secretPost whether the client secret goes in the body ({@code client_secret_post}, when
   *     the provider supports only that) rather than Basic
   * @param idTokenAlgorithms the signature algorithms accepted on its ID tokens
   * @param issParameter whether it sends {@code iss} with its answers (RFC 9207), which is then
   *     required
   * @param keys its signing keys
   * @param loadedAt when the document was read
   */
  record Provider(
      String issuer,
      URI authorizationEndpoint,
      URI tokenEndpoint,
      boolean secretPost,
      Set<JWSAlgorithm> idTokenAlgorithms,
      boolean issParameter,
      ProviderKeys keys,
      Instant loadedAt) {}

  private final Clock clock;
  private final ConcurrentMap<String, Provider> providers = new ConcurrentHashMap<>();

  OidcProviders(Clock clock) {
    this.clock = clock;
  }

  /**
   * The provider {@code issuer}, from its discovery document.
   *
   * @throws SignInException {@link SignInFailure#PROVIDER_UNREACHABLE} when it cannot be read,
   *     {@link SignInFailure#PROVIDER_UNUSABLE} when it is malformed, names another issuer, or
   *     offers nothing Callsign can use
   */
  Provider provider(String issuer) {
    Instant now = clock.instant();
    Provider known = providers.get(issuer);
    if (known != null && now.isBefore(known.loadedAt().plus(METADATA_LIFETIME))) {
      return known;
    }
    Provider loaded;
    try {
      loaded = discover(issuer, known, now);
    } catch (SignInException e) {
      if (known != null && e.failure() == SignInFailure.PROVIDER_UNREACHABLE) {
        // The provider is away: what it said an hour ago still holds.
        return known;
      }
      throw e;
    }
    if (providers.size() >= MAX_PROVIDERS) {
      providers.clear();
    }
    providers.put(issuer, loaded);
    return loaded;
  }

  private Provider discover(String issuer, Provider known, Instant now) {
    String base = issuer.endsWith("/") ? issuer.substring(0, issuer.length() - 1) : issuer;
    OIDCProviderMetadata metadata;
    try {
      metadata = OIDCProviderMetadata.parse(get(URI.create(base + DISCOVERY), "discovery"));
    } catch (ParseException e) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("malformed discovery document");
    }
    // OpenID Connect Discovery 1.0 section 4.3: the document must name exactly this issuer, else
    // it is another provider's (mix-up, O-04).
    if (metadata.getIssuer() == null || !issuer.equals(metadata.getIssuer().getValue())) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("the discovery document names another issuer");
    }
    URI authorization = endpoint(metadata.getAuthorizationEndpointURI(), "authorization_endpoint");
    URI token = endpoint(metadata.getTokenEndpointURI(), "token_endpoint");
    URI jwks = endpoint(metadata.getJWKSetURI(), "jwks_uri");
    List<CodeChallengeMethod> pkce = metadata.getCodeChallengeMethods();
    if (pkce != null && !pkce.contains(CodeChallengeMethod.S256)) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("the provider does not support PKCE S256");
    }
    if (metadata.getResponseTypes() != null
        && !metadata.getResponseTypes().contains(ResponseType.CODE)) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("the provider does not issue codes");
    }
    Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
    List<JWSAlgorithm> offered = metadata.getIDTokenJWSAlgs();
    for (JWSAlgorithm a : offered == null ? List.of(JWSAlgorithm.RS256) : offered) {
      if (ASYMMETRIC.contains(a)) {
        algorithms.add(a);
      }
    }
    if (algorithms.isEmpty()) {
      throw SignInFailure.PROVIDER_UNUSABLE.because(
          "the provider signs ID tokens with no public-key algorithm");
    }
    List<ClientAuthenticationMethod> methods = metadata.getTokenEndpointAuthMethods();
    // The default is client_secret_basic (RFC 8414 section 2); post only when it is all there is.
    boolean secretPost =
        methods != null
            && !methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
            && methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_POST);
    // Keys survive a re-read of the document unless they moved.
    ProviderKeys keys =
        known != null && known.keys().uri().equals(jwks)
            ? known.keys()
            : new ProviderKeys(jwks, this::fetchKeys, clock);
    return new Provider(
        issuer,
        authorization,
        token,
        secretPost,
        Set.copyOf(algorithms),
        metadata.supportsAuthorizationResponseIssuerParam(),
        keys,
        now);
  }

  private static URI endpoint(URI uri, String name) {
    if (uri == null) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("the discovery document has no " + name);
    }
    try {
      SsoProfileService.checkIssuer(uri.toString().split("\\?", 2)[0]);
    } catch (RuntimeException e) {
      throw SignInFailure.PROVIDER_UNUSABLE.because(
          "the " + name + " is neither https nor on localhost");
    }
    return uri;
  }

  private JWKSet fetchKeys(URI uri) throws KeySourceException {
    try {
      return JWKSet.parse(get(uri, "keys"));
    } catch (java.text.ParseException e) {
      throw new KeySourceException("the provider's JWKS is malformed", e);
    } catch (SignInException e) {
      throw new KeySourceException(e.getMessage(), e);
    }
  }

  private static String get(URI uri, String what) {
    HTTPRequest request = new HTTPRequest(HTTPRequest.Method.GET, uri);
    request.setAccept("application/json");
    HTTPResponse response = send(request, what);
    if (response.getStatusCode() != 200) {
      throw SignInFailure.PROVIDER_UNREACHABLE.because(
          "the " + what + " request got HTTP " + response.getStatusCode());
    }
    return response.getBody();
  }

  private static HTTPResponse send(HTTPRequest request, String what) {
    request.setConnectTimeout(TIMEOUT_MILLIS);
    request.setReadTimeout(TIMEOUT_MILLIS);
    request.setFollowRedirects(false);
    try {
      return request.send();
    } catch (IOException e) {
      // The exception's text may hold the URL and no more; the kind is enough.
      throw SignInFailure.PROVIDER_UNREACHABLE.because(
          "the " + what + " request failed (" + e.getClass().getSimpleName() + ")");
    }
  }

  /**
   * Where to send the browser: the provider's authorization endpoint with a code request for {@code
   * profile}, Callsign's {@code state} and {@code nonce}, and the S256 challenge of {@code
   * verifier}.
   */
  URI authorizationUrl(
      Provider provider,
      SsoProfile profile,
      URI callback,
      String state,
      String nonce,
      String verifier) {
    return new AuthenticationRequest.Builder(
            ResponseType.CODE,
            new Scope(profile.scopes().toArray(String[]::new)),
            new ClientID(profile.clientId()),
            callback)
        .endpointURI(provider.authorizationEndpoint())
        .state(new State(state))
        .nonce(new Nonce(nonce))
        .codeChallenge(new CodeVerifier(verifier), CodeChallengeMethod.S256)
        .build()
        .toURI();
  }

  /**
   * Redeems {@code code} at the provider's token endpoint with Callsign's PKCE {@code verifier},
   * and validates the ID token it returns: signature by one of the provider's keys, {@code iss}
   * exactly the provider's issuer, {@code aud} the profile's client ID, {@code nonce} Callsign's,
   * {@code exp} and {@code iat} within a minute of now.
   *
   * @return the ID token's claims
   * @throws SignInException with {@link SignInFailure#PROVIDER_UNREACHABLE}, {@link
   *     SignInFailure#PROVIDER_UNUSABLE}, {@link SignInFailure#PROVIDER_REFUSED} or {@link
   *     SignInFailure#ID_TOKEN_INVALID}
   */
  JWTClaimsSet redeem(
      Provider provider,
      SsoProfile profile,
      String code,
      URI callback,
      String verifier,
      String nonce) {
    ClientID client = new ClientID(profile.clientId());
    AuthorizationCodeGrant grant =
        new AuthorizationCodeGrant(
            new AuthorizationCode(code), callback, new CodeVerifier(verifier));
    TokenRequest.Builder request;
    if (profile.clientSecret() == null) {
      request = new TokenRequest.Builder(provider.tokenEndpoint(), client, grant);
    } else if (provider.secretPost()) {
      request =
          new TokenRequest.Builder(
              provider.tokenEndpoint(),
              new ClientSecretPost(client, new Secret(profile.clientSecret())),
              grant);
    } else {
      request =
          new TokenRequest.Builder(
              provider.tokenEndpoint(),
              new ClientSecretBasic(client, new Secret(profile.clientSecret())),
              grant);
    }
    HTTPResponse response = send(request.build().toHTTPRequest(), "token");
    TokenResponse answer;
    try {
      answer = OIDCTokenResponseParser.parse(response);
    } catch (ParseException e) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("malformed token response");
    }
    if (!answer.indicatesSuccess()) {
      ErrorObject error = answer.toErrorResponse().getErrorObject();
      String what = error == null || error.getCode() == null ? "no error code" : error.getCode();
      throw SignInFailure.PROVIDER_REFUSED.because(ApiError.printable(what));
    }
    if (!(answer.toSuccessResponse() instanceof OIDCTokenResponse tokens)
        || tokens.getOIDCTokens().getIDToken() == null) {
      throw SignInFailure.PROVIDER_UNUSABLE.because("the token response has no ID token");
    }
    return validate(provider, profile, tokens.getOIDCTokens().getIDToken(), nonce);
  }

  /**
   * Validates an ID token as OpenID Connect Core 1.0 section 3.1.3.7 asks, with Nimbus's JWT
   * processor: the signature by one of the provider's keys with an allowed algorithm (never {@code
   * none} or a MAC); {@code iss} exactly the provider's issuer; {@code aud} containing the client
   * ID, and {@code azp} the client ID when there are more audiences; {@code nonce} Callsign's;
   * {@code sub}, {@code iat} and {@code exp} present; {@code exp} and {@code nbf} within {@link
   * #MAX_CLOCK_SKEW_SECONDS} of the server's clock (so that tests move that clock).
   *
   * @throws SignInException {@link SignInFailure#ID_TOKEN_INVALID} naming the failed check, or
   *     {@link SignInFailure#PROVIDER_UNREACHABLE} when the keys cannot be read
   */
  JWTClaimsSet validate(Provider provider, SsoProfile profile, JWT idToken, String nonce) {
    DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
    processor.setJWSKeySelector(
        new JWSVerificationKeySelector<>(provider.idTokenAlgorithms(), provider.keys()));
    DefaultJWTClaimsVerifier<SecurityContext> verifier =
        new DefaultJWTClaimsVerifier<>(
            Set.of(profile.clientId()),
            new JWTClaimsSet.Builder().issuer(provider.issuer()).claim("nonce", nonce).build(),
            Set.of("iss", "sub", "aud", "exp", "iat", "nonce"),
            null) {
          @Override
          protected Date currentTime() {
            return Date.from(clock.instant());
          }
        };
    verifier.setMaxClockSkew(MAX_CLOCK_SKEW_SECONDS);
    processor.setJWTClaimsSetVerifier(verifier);
    JWTClaimsSet claims;
    try {
      claims = processor.process(idToken, null);
    } catch (KeySourceException e) {
      throw SignInFailure.PROVIDER_UNREACHABLE.because("the provider's keys could not be read");
    } catch (BadJOSEException | JOSEException e) {
      throw SignInFailure.ID_TOKEN_INVALID.because(failedCheck(e));
    }
    // Present as a key is not enough: a null or blank sub is no identity. OIDC Core 2 caps it at
    // 255 ASCII characters.
    String subject = claims.getSubject();
    if (subject == null || subject.isBlank() || subject.length() > 255) {
      throw SignInFailure.ID_TOKEN_INVALID.because("claims");
    }
    List<String> audience = claims.getAudience();
    Object azp = claims.getClaim("azp");
    if ((audience.size() > 1 || azp != null) && !profile.clientId().equals(azp)) {
      throw SignInFailure.ID_TOKEN_INVALID.because("audience");
    }
    return claims;
  }

  /** Which check an ID token failed, in one word, from Nimbus's exception. */
  private static String failedCheck(Exception e) {
    if (e instanceof BadJWSException) {
      return "signature";
    }
    String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
    // Exact-match failures read "JWT <claim> claim has value ..., must be ...": the claim first.
    if (m.startsWith("jwt iss claim")) {
      return "issuer";
    }
    if (m.contains("nonce")) {
      return "nonce";
    }
    if (m.contains("aud claim") || m.contains("audience") || m.contains("azp")) {
      return "audience";
    }
    if (m.contains("expired")) {
      return "expired";
    }
    if (m.contains("key")
        || m.contains("signed")
        || m.contains("signature")
        || m.contains("unsecured")) {
      return "signature";
    }
    return "claims";
  }
}
