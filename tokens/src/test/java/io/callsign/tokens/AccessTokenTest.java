package io.callsign.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AccessTokenTest {
  private final TestKeys keys = new TestKeys();

  private static Map<String, Object> segment(String jwt, int index) {
    return Json.parseObject(Base64.getUrlDecoder().decode(jwt.split("\\.")[index]));
  }

  @Test
  void toJwtWhenDefaultsThenHeaderAndClaimsHaveTwilioShape() {
    String jwt = keys.token().grant(new VideoGrant().setRoom("standup")).build().toJwt();

    assertThat(segment(jwt, 0))
        .containsExactly(
            Map.entry("alg", "HS256"), Map.entry("typ", "JWT"), Map.entry("cty", "twilio-fpa;v=1"));
    long now = TestKeys.NOW.getEpochSecond();
    assertThat(segment(jwt, 1))
        .containsOnlyKeys("jti", "iss", "sub", "exp", "grants")
        .containsEntry("jti", keys.keySid + "-" + now)
        .containsEntry("iss", keys.keySid)
        .containsEntry("sub", keys.accountSid)
        .containsEntry("exp", now + 3600)
        .containsEntry("grants", Map.of("identity", "alice", "video", Map.of("room", "standup")));
  }

  @Test
  void toJwtWhenRegionSetThenHeaderCarriesTwr() {
    String jwt = keys.token().region("ie1").build().toJwt();

    assertThat(segment(jwt, 0)).containsEntry("twr", "ie1");
  }

  @Test
  void toJwtWhenNbfSetThenClaimIsWholeSeconds() {
    String jwt = keys.token().nbf(new java.util.Date(1_700_000_000_999L)).build().toJwt();

    assertThat(segment(jwt, 1)).containsEntry("nbf", 1_700_000_000L);
  }

  @Test
  void toJwtWhenEveryGrantSetThenUsesTheExactGrantKeysAndFields() {
    String jwt =
        keys.token()
            .grant(
                new VoiceGrant()
                    .setIncomingAllow(true)
                    .setOutgoingApplication("AP123", Map.of("a", "1"))
                    .setPushCredentialSid("CR1")
                    .setEndpointId("e"))
            .grant(
                new ChatGrant()
                    .setServiceSid("IS1")
                    .setEndpointId("e")
                    .setDeploymentRoleSid("RL1")
                    .setPushCredentialSid("CR1"))
            .grant(new SyncGrant().setServiceSid("IS2").setEndpointId("e"))
            .grant(
                new TaskRouterGrant().setWorkspaceSid("WS1").setWorkerSid("WK1").setRole("worker"))
            .grant(new PlaybackGrant().setGrant(Map.of("playbackUrl", "u")))
            .build()
            .toJwt();

    @SuppressWarnings("unchecked")
    Map<String, Object> grants = (Map<String, Object>) segment(jwt, 1).get("grants");
    assertThat(grants)
        .containsOnlyKeys("identity", "voice", "chat", "data_sync", "task_router", "player")
        .containsEntry(
            "voice",
            Map.of(
                "incoming",
                Map.of("allow", true),
                "outgoing",
                Map.of("application_sid", "AP123", "params", Map.of("a", "1")),
                "push_credential_sid",
                "CR1",
                "endpoint_id",
                "e"))
        .containsEntry(
            "chat",
            Map.of(
                "service_sid",
                "IS1",
                "endpoint_id",
                "e",
                "deployment_role_sid",
                "RL1",
                "push_credential_sid",
                "CR1"))
        .containsEntry("data_sync", Map.of("service_sid", "IS2", "endpoint_id", "e"))
        .containsEntry(
            "task_router", Map.of("workspace_sid", "WS1", "worker_sid", "WK1", "role", "worker"))
        .containsEntry("player", Map.of("playbackUrl", "u"));
  }

  @Test
  void voiceGrantWhenIncomingFalseThenWritesAllowFalse() {
    assertThat(new VoiceGrant().setIncomingAllow(false).getPayload())
        .isEqualTo(Map.of("incoming", Map.of("allow", false)));
  }

  @Test
  void voiceGrantWhenNoApplicationThenLeavesOutOutgoing() {
    assertThat(new VoiceGrant().setOutgoingApplicationSid("").getPayload()).isEmpty();
  }

  @Test
  void grantWhenSameKeyAddedTwiceThenLaterReplacesEarlier() {
    AccessToken token =
        keys.token()
            .grant(new VideoGrant().setRoom("a"))
            .grant(new VideoGrant().setRoom("b"))
            .build();

    assertThat(((VideoGrant) token.getGrants().get("video")).getRoom()).isEqualTo("b");
  }

  @Test
  void toJwtWhenNoIdentityThenGrantsHaveNoIdentity() {
    String jwt = keys.token().identity(null).build().toJwt();

    assertThat(segment(jwt, 1).get("grants")).isEqualTo(Map.of());
  }

  @Test
  void toJwtWhenCalledTwiceThenSameToken() {
    AccessToken token = keys.token().build();

    assertThat(token.toJwt()).isEqualTo(token.toJwt());
  }

  @Test
  void gettersWhenBuiltThenDescribeTheToken() {
    AccessToken token = keys.token().ttl(60).build();

    assertThat(token.getIssuer()).isEqualTo(keys.keySid);
    assertThat(token.getSubject()).isEqualTo(keys.accountSid);
    assertThat(token.getIdentity()).isEqualTo("alice");
    assertThat(token.getExpiration().toInstant()).isEqualTo(TestKeys.NOW.plusSeconds(60));
    assertThat(token.getNbf()).isNull();
    assertThat(token.getClaims()).isEqualTo(segment(token.toJwt(), 1));
    assertThat(token.toString()).doesNotContain(new String(keys.secret, StandardCharsets.UTF_8));
  }

  @Test
  void ttlWhenAbove24HoursThenRefusedNamingTheLimit() {
    assertThatThrownBy(() -> keys.token().ttl(86_401))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("86400")
        .hasMessageContaining("20157");
  }

  @Test
  void ttlWhenExactly24HoursThenAccepted() {
    assertThat(keys.token().ttl(86_400).build().getExpiration().toInstant())
        .isEqualTo(TestKeys.NOW.plusSeconds(86_400));
  }

  @Test
  void ttlWhenZeroOrNegativeThenRefused() {
    for (int ttl : List.of(0, -1, Integer.MIN_VALUE)) {
      assertThatThrownBy(() -> keys.token().ttl(ttl)).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void builderWhenSecretShorterThan32BytesThenRefused() {
    assertThatThrownBy(() -> new AccessToken.Builder(keys.accountSid, keys.keySid, new byte[31]))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 32 bytes");
    assertThatThrownBy(() -> new AccessToken.Builder(keys.accountSid, keys.keySid, "short"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void builderWhenSidsMalformedThenRefused() {
    assertThatThrownBy(() -> new AccessToken.Builder("AC123", keys.keySid, keys.secret))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("AC followed by 32 hex digits");
    assertThatThrownBy(() -> new AccessToken.Builder(keys.accountSid, keys.accountSid, keys.secret))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SK");
  }

  @Test
  void builderWhenMalformedSidsFollowWellFormedOnesThenStillRefused() {
    // The builder skips checking the very strings it checked last; any other string is checked.
    new AccessToken.Builder(keys.accountSid, keys.keySid, keys.secret);
    String malformedKey = "SK" + "g".repeat(32);

    assertThatThrownBy(() -> new AccessToken.Builder(keys.accountSid, malformedKey, keys.secret))
        .isInstanceOf(IllegalArgumentException.class);
    new AccessToken.Builder(keys.accountSid, keys.keySid, keys.secret);
    assertThatThrownBy(
            () -> new AccessToken.Builder("AC" + "0".repeat(31), keys.keySid, keys.secret))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toJwtWhenAGrantIsKeyedIdentityThenItReplacesTheIdentityInPlace() {
    Grant identityGrant =
        new Grant() {
          @Override
          public String getGrantKey() {
            return "identity";
          }

          @Override
          public Map<String, Object> getPayload() {
            return Map.of("x", "y");
          }
        };
    String jwt =
        keys.token()
            .identity("alice")
            .grant(new VideoGrant().setRoom("r"))
            .grant(identityGrant)
            .build()
            .toJwt();

    assertThat(List.<Object>copyOf(((Map<?, ?>) segment(jwt, 1).get("grants")).keySet()))
        .containsExactly("identity", "video");
    assertThat(((Map<?, ?>) segment(jwt, 1).get("grants")).get("identity"))
        .isEqualTo(Map.of("x", "y"));
  }

  @Test
  void toJwtWhenAGrantPayloadIsNullThenTheGrantIsLeftOut() {
    Grant empty =
        new Grant() {
          @Override
          public String getGrantKey() {
            return "player";
          }

          @Override
          public Map<String, Object> getPayload() {
            return null;
          }
        };
    String jwt = keys.token().identity("alice").grant(empty).build().toJwt();

    assertThat(segment(jwt, 1).get("grants")).isEqualTo(Map.of("identity", "alice"));
  }

  @Test
  void builderWhenSecretIsNullThenRefused() {
    assertThatThrownBy(() -> new AccessToken.Builder(keys.accountSid, keys.keySid, (byte[]) null))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void toJwtWhenIdentityHasUnpairedSurrogateThenRefused() {
    assertThatThrownBy(() -> keys.token().identity("bad\uD800").build().toJwt())
        .isInstanceOf(IllegalArgumentException.class);
  }
}
