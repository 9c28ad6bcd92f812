package io.callsign.server;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import io.callsign.server.http.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.http.OAuth2HttpRequest;
import no.nav.security.mock.oauth2.http.OAuth2HttpResponse;
import no.nav.security.mock.oauth2.http.Route;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import okhttp3.Headers;

/**
 * mock-oauth2-server as the real OpenID Connect provider of the single sign-on tests, with what the
 * tests need to steer it: which key signs, which keys the JWKS publishes (and how often it is
 * fetched), and, per issuer, a token endpoint that refuses or a discovery document that points the
 * token endpoint at another issuer (a mix-up). Every issuer signs with the same key unless told
 * otherwise, as multi-tenant providers do.
 */
final class OidcTestProvider implements AutoCloseable {
  private final SteeredKeys keys = new SteeredKeys();
  private final Map<String, AtomicInteger> jwksFetches = new ConcurrentHashMap<>();
  private final Set<String> refusing = ConcurrentHashMap.newKeySet();
  private final Map<String, String> tokenEndpointOf = new ConcurrentHashMap<>();
  private final MockOAuth2Server server;

  OidcTestProvider() throws Exception {
    OAuth2Config config = new OAuth2Config(false, null, null, false, new OAuth2TokenProvider(keys));
    server = new MockOAuth2Server(config, new Steering());
    server.start(0);
  }

  /** The issuer identifier of {@code issuerId}, e.g. {@code http://localhost:1234/idp-a}. */
  String issuer(String issuerId) {
    return server.issuerUrl(issuerId).toString();
  }

  /**
   * Makes the next token request to {@code issuerId} issue an ID token for {@code subject} with
   * {@code claims} (which may override standard ones such as {@code nonce}), valid for {@code
   * seconds}.
   */
  void nextSignIn(String issuerId, String subject, Map<String, Object> claims, long seconds) {
    server.enqueueCallback(
        new DefaultOAuth2TokenCallback(
            issuerId, subject, "JWT", List.of("callsign"), claims, seconds));
  }

  /** As above, valid for an hour. */
  void nextSignIn(String issuerId, String subject, Map<String, Object> claims) {
    nextSignIn(issuerId, subject, claims, 3600);
  }

  /** Signs with a new key from now on and publishes only that one (the old one is retired). */
  RSAKey rotateKey() {
    RSAKey next = SteeredKeys.generate();
    keys.signing = next;
    keys.published.clear();
    keys.published.add(next);
    return next;
  }

  /** Signs with a key that the JWKS does not publish (tokens with a kid nobody knows). */
  void signWithUnpublishedKey() {
    keys.signing = SteeredKeys.generate();
  }

  /** How many times the JWKS of {@code issuerId} was fetched. */
  int jwksFetches(String issuerId) {
    return jwksFetches.computeIfAbsent(issuerId, i -> new AtomicInteger()).get();
  }

  /** Makes the token endpoint of {@code issuerId} answer {@code invalid_client}. */
  void refuseTokenRequests(String issuerId) {
    refusing.add(issuerId);
  }

  /**
   * Makes the discovery document of {@code issuerId} name {@code otherIssuerId}'s token endpoint:
   * codes are then redeemed there, and its ID tokens carry the other issuer.
   */
  void tokenEndpointOf(String issuerId, String otherIssuerId) {
    tokenEndpointOf.put(issuerId, otherIssuerId);
  }

  @Override
  public void close() {
    server.shutdown();
  }

  /** One signing key for every issuer, chosen by the test, and the keys the JWKS publishes. */
  private static final class SteeredKeys extends KeyProvider {
    volatile RSAKey signing = generate();
    final List<JWK> published = new CopyOnWriteArrayList<>(List.of(signing));

    SteeredKeys() {
      super(List.of(), "RS256");
    }

    static RSAKey generate() {
      try {
        return new RSAKeyGenerator(2048).keyID(UUID.randomUUID().toString()).generate();
      } catch (JOSEException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    public JWK signingKey(String issuerId) {
      return signing;
    }
  }

  /** The routes that come before the mock's own: JWKS, refusals, redirected discovery. */
  private final class Steering implements Route {
    @Override
    public boolean match(OAuth2HttpRequest request) {
      String path = request.getUrl().encodedPath();
      String issuerId = issuerId(path);
      return (path.endsWith("/jwks") && request.getMethod().equals("GET"))
          || (path.endsWith("/token") && refusing.contains(issuerId))
          || (path.endsWith("/.well-known/openid-configuration")
              && tokenEndpointOf.containsKey(issuerId));
    }

    @Override
    public OAuth2HttpResponse invoke(OAuth2HttpRequest request) {
      String path = request.getUrl().encodedPath();
      String issuerId = issuerId(path);
      if (path.endsWith("/jwks")) {
        jwksFetches.computeIfAbsent(issuerId, i -> new AtomicInteger()).incrementAndGet();
        return json(200, new JWKSet(new ArrayList<>(keys.published)).toPublicJWKSet().toString());
      }
      if (path.endsWith("/token")) {
        return json(
            401,
            "{\"error\":\"invalid_client\",\"error_description\":\"client authentication failed\"}");
      }
      Map<String, Object> discovery = new LinkedHashMap<>();
      discovery.put("issuer", issuer(issuerId));
      discovery.put("authorization_endpoint", issuer(issuerId) + "/authorize");
      discovery.put("token_endpoint", issuer(tokenEndpointOf.get(issuerId)) + "/token");
      discovery.put("jwks_uri", issuer(issuerId) + "/jwks");
      discovery.put("response_types_supported", List.of("code"));
      discovery.put("subject_types_supported", List.of("public"));
      discovery.put("id_token_signing_alg_values_supported", List.of("RS256"));
      discovery.put("code_challenge_methods_supported", List.of("S256"));
      return json(200, Json.write(discovery));
    }

    private static String issuerId(String path) {
      String trimmed = path.startsWith("/") ? path.substring(1) : path;
      int slash = trimmed.indexOf('/');
      return slash < 0 ? trimmed : trimmed.substring(0, slash);
    }

    private static OAuth2HttpResponse json(int status, String body) {
      return new OAuth2HttpResponse(
          Headers.of("Content-Type", "application/json"), status, body, null);
    }
  }
}
