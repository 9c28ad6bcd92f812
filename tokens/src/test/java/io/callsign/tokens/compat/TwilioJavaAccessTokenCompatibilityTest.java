package io.callsign.tokens.compat;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.tokens.AccessToken;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.ChatGrant;
import io.callsign.tokens.PlaybackGrant;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.SyncGrant;
import io.callsign.tokens.TaskRouterGrant;
import io.callsign.tokens.VerifiedAccessToken;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.VoiceGrant;
import io.callsign.tokens.internal.Json;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Tokens cross between twilio-java 13 and Callsign in both directions with the same claims. */
class TwilioJavaAccessTokenCompatibilityTest {
  private final String accountSid = AccountSid.random().value();
  private final String keySid = KeySid.random().value();
  private final byte[] secret = secret();
  private final AccessTokenVerifier verifier =
      AccessTokenVerifier.builder(sid -> SigningKey.of(sid, accountSid, secret)).build();

  private static byte[] secret() {
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    return Base64.getEncoder().encodeToString(raw).getBytes(StandardCharsets.US_ASCII);
  }

  private static Map<String, Object> payload(String jwt) {
    return Json.parseObject(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
  }

  @Test
  void verifyWhenTwilioJavaMintsEveryGrantThenAcceptsWithTheSameClaims() throws Exception {
    String official =
        new com.twilio.jwt.accesstoken.AccessToken.Builder(accountSid, keySid, secret)
            .identity("alice")
            .region("ie1")
            .ttl(7200)
            .nbf(new Date(System.currentTimeMillis() - 5_000))
            .grant(new com.twilio.jwt.accesstoken.VideoGrant().setRoom("standup"))
            .grant(
                new com.twilio.jwt.accesstoken.VoiceGrant()
                    .setIncomingAllow(false)
                    .setOutgoingApplication("AP" + "1".repeat(32), Map.of("to", "+15005550006"))
                    .setPushCredentialSid("CR" + "2".repeat(32))
                    .setEndpointId("endpoint"))
            .grant(
                new com.twilio.jwt.accesstoken.ChatGrant()
                    .setServiceSid("IS" + "3".repeat(32))
                    .setEndpointId("e")
                    .setDeploymentRoleSid("RL" + "4".repeat(32))
                    .setPushCredentialSid("CR" + "5".repeat(32)))
            .grant(new com.twilio.jwt.accesstoken.SyncGrant().setServiceSid("IS" + "6".repeat(32)))
            .grant(
                new com.twilio.jwt.accesstoken.TaskRouterGrant()
                    .setWorkspaceSid("WS" + "7".repeat(32))
                    .setWorkerSid("WK" + "8".repeat(32))
                    .setRole("worker"))
            .grant(
                new com.twilio.jwt.accesstoken.PlaybackGrant()
                    .setGrant(Map.of("playbackUrl", "https://example.com/p")))
            .build()
            .toJwt();

    VerifiedAccessToken verified = verifier.verify(official);

    assertThat(verified.claims()).isEqualTo(payload(official));
    assertThat(verified.identity()).contains("alice");
    assertThat(verified.region()).contains("ie1");
    assertThat(verified.grant("voice").orElseThrow())
        .containsEntry("incoming", Map.of("allow", false))
        .containsEntry(
            "outgoing",
            Map.of(
                "application_sid", "AP" + "1".repeat(32), "params", Map.of("to", "+15005550006")));
  }

  @Test
  void grantsWhenSameSettingsThenOursEqualTwilioJavas() {
    String official =
        new com.twilio.jwt.accesstoken.AccessToken.Builder(accountSid, keySid, secret)
            .identity("alice")
            .grant(new com.twilio.jwt.accesstoken.VideoGrant().setRoom("r"))
            .grant(
                new com.twilio.jwt.accesstoken.VoiceGrant()
                    .setIncomingAllow(true)
                    .setOutgoingApplicationSid("AP" + "1".repeat(32)))
            .grant(new com.twilio.jwt.accesstoken.ChatGrant().setServiceSid("IS" + "3".repeat(32)))
            .grant(new com.twilio.jwt.accesstoken.SyncGrant().setEndpointId("e"))
            .grant(new com.twilio.jwt.accesstoken.TaskRouterGrant().setRole("supervisor"))
            .build()
            .toJwt();
    String ours =
        new AccessToken.Builder(accountSid, keySid, secret)
            .identity("alice")
            .grant(new VideoGrant().setRoom("r"))
            .grant(
                new VoiceGrant()
                    .setIncomingAllow(true)
                    .setOutgoingApplicationSid("AP" + "1".repeat(32)))
            .grant(new ChatGrant().setServiceSid("IS" + "3".repeat(32)))
            .grant(new SyncGrant().setEndpointId("e"))
            .grant(new TaskRouterGrant().setRole("supervisor"))
            .build()
            .toJwt();

    assertThat(payload(ours).get("grants")).isEqualTo(payload(official).get("grants"));
  }

  @Test
  void jjwtWhenParsingOurTokenThenSignatureAndClaimsCheckOut() {
    String ours =
        new AccessToken.Builder(accountSid, keySid, secret)
            .identity("alice")
            .grant(new PlaybackGrant().setGrant(Map.of("playbackUrl", "u")))
            .build()
            .toJwt();

    // jjwt reads a JWS with a cty other than JWT as opaque content, not claims.
    Jws<byte[]> parsed =
        Jwts.parser().verifyWith(Keys.hmacShaKeyFor(secret)).build().parseSignedContent(ours);
    Map<String, Object> claims = Json.parseObject(parsed.getPayload());

    assertThat(parsed.getHeader().getAlgorithm()).isEqualTo("HS256");
    // jjwt reports the RFC 7515 long form of the same media type.
    assertThat(parsed.getHeader().getContentType()).isEqualTo("application/twilio-fpa;v=1");
    assertThat(claims).containsEntry("iss", keySid).containsEntry("sub", accountSid);
    assertThat((String) claims.get("jti")).startsWith(keySid + "-");
  }
}
