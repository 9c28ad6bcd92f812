package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.ACCOUNT;
import static io.callsign.tokens.capability.CapabilityTestSupport.APP;
import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.client;
import static io.callsign.tokens.capability.CapabilityTestSupport.headerJson;
import static io.callsign.tokens.capability.CapabilityTestSupport.payloadJson;
import static io.callsign.tokens.capability.CapabilityTestSupport.verifierAt;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ClientCapabilityTokenTest {

  @Test
  void toJwtWhenDefaultsThenHeaderAndPayloadAreCanonical() {
    String jwt = client().scope(new IncomingClientScope("alice")).build().toJwt();

    assertThat(headerJson(jwt)).isEqualTo("{\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    assertThat(payloadJson(jwt))
        .isEqualTo(
            "{\"iss\":\""
                + ACCOUNT
                + "\",\"iat\":"
                + NOW
                + ",\"exp\":"
                + (NOW + 3600)
                + ",\"scope\":\"scope:client:incoming?clientName=alice\"}");
  }

  @Test
  void getScopeWhenValuesHaveSpacesAndReservedCharactersThenEncodesWithPercent20Only() {
    Map<String, String> params = new LinkedHashMap<>();
    params.put("x", "1+2 3");
    params.put("y", "&=%");
    params.put("é", "~*!'()");
    ClientCapabilityToken token =
        client()
            .scopes(
                List.of(
                    new IncomingClientScope("a b"),
                    new OutgoingClientScope.Builder(APP).clientName("a b").params(params).build(),
                    new EventStreamScope.Builder().filters(Map.of("foo", "bar baz")).build()))
            .build();

    assertThat(token.getScope())
        .isEqualTo(
            "scope:client:incoming?clientName=a%20b"
                + " scope:client:outgoing?appSid="
                + APP
                + "&clientName=a%20b"
                + "&appParams=x%3D1%252B2%25203%26y%3D%2526%253D%2525%26%25C3%25A9%3D~%252A%2521%2527%2528%2529"
                + " scope:stream:subscribe?path=/2010-04-01/Events&appParams=foo%3Dbar%2520baz");
    assertThat(token.getScope()).doesNotContain("+").doesNotContain("a b");
  }

  @Test
  void buildWhenTtlAndClockSetThenExpIsIssueTimePlusTtl() {
    ClientCapabilityToken token = client().ttl(86_400).build();

    assertThat(token.getIssuedAt()).isEqualTo(Instant.ofEpochSecond(NOW));
    assertThat(token.getExpiration()).isEqualTo(Instant.ofEpochSecond(NOW + 86_400));
    assertThat(token.getClaims()).containsEntry("exp", NOW + 86_400).containsEntry("iss", ACCOUNT);
    assertThat(token.getHeaders()).containsOnlyKeys("alg", "typ");
  }

  @Test
  void scopesWhenCalledTwiceThenAppendsLikeTwilioJava() {
    ClientCapabilityToken token =
        client()
            .scopes(List.of(new IncomingClientScope("a")))
            .scopes(List.of(new IncomingClientScope("b")))
            .build();

    assertThat(token.getScopes())
        .containsExactly(new IncomingClientScope("a"), new IncomingClientScope("b"));
  }

  @Test
  void buildWhenNoScopesThenScopeClaimIsEmptyAndStillVerifies() throws Exception {
    ClientCapabilityToken token = client().build();

    assertThat(token.getScope()).isEmpty();
    assertThat(verifierAt(NOW).verifyClientCapability(token.toJwt()).scopes()).isEmpty();
  }

  @Test
  void verifyWhenMintedByUsWithTrickyTextThenScopesRoundTrip() throws Exception {
    List<String> names =
        List.of("a b", "a+b", "100%", "a&b=c", "é ü", "😀 emoji", "o'brien (desk) *1!", "~._-");
    for (String name : names) {
      Map<String, String> params = new LinkedHashMap<>();
      params.put(name, name);
      params.put("empty", "");
      List<Scope> scopes =
          List.of(
              new IncomingClientScope(name),
              new OutgoingClientScope.Builder(APP).clientName(name).params(params).build(),
              new EventStreamScope.Builder().filters(params).build());

      String jwt = client().scopes(scopes).build().toJwt();

      assertThat(verifierAt(NOW).verifyClientCapability(jwt).scopes())
          .as("round trip of %s", name)
          .isEqualTo(scopes);
    }
  }

  @Test
  void outgoingScopeWhenParamsMutatedAfterBuildThenScopeIsUnchanged() {
    Map<String, String> params = new LinkedHashMap<>(Map.of("a", "1"));
    OutgoingClientScope scope = new OutgoingClientScope.Builder(APP).params(params).build();
    params.put("b", "2");

    assertThat(scope.params()).containsOnlyKeys("a");
    assertThatThrownBy(() -> scope.params().put("c", "3"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  // ---------------------------------------------------------------------------------------------
  // Refusals

  @ParameterizedTest
  @ValueSource(ints = {0, -1, 86_401, Integer.MAX_VALUE})
  void ttlWhenOutOfRangeThenRefused(int ttl) {
    assertThatThrownBy(() -> client().ttl(ttl))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("20157");
  }

  @Test
  void builderWhenAuthTokenShorterThan32BytesThenRefused() {
    assertThatThrownBy(() -> new ClientCapabilityToken.Builder(ACCOUNT, "0123456789abcdef"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("32 bytes");
  }

  @ParameterizedTest
  @ValueSource(strings = {"AC123", "SK0123456789abcdef0123456789abcdef", ""})
  void builderWhenAccountSidMalformedThenRefused(String accountSid) {
    assertThatThrownBy(
            () -> new ClientCapabilityToken.Builder(accountSid, CapabilityTestSupport.AUTH_TOKEN))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "line\nbreak", "tab\there", "nul\u0000", "del\u007f", "lone\ud800"})
  void incomingScopeWhenClientNameMalformedThenRefused(String name) {
    assertThatThrownBy(() -> new IncomingClientScope(name))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void incomingScopeWhenClientNameNullThenRefused() {
    assertThatThrownBy(() -> new IncomingClientScope(null))
        .isInstanceOf(NullPointerException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"AP123", "AC0123456789abcdef0123456789abcdef", ""})
  void outgoingScopeWhenApplicationSidMalformedThenRefused(String sid) {
    assertThatThrownBy(() -> new OutgoingClientScope.Builder(sid).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void outgoingScopeWhenParamNameEmptyOrValueHasControlCharacterThenRefused() {
    assertThatThrownBy(() -> new OutgoingClientScope.Builder(APP).params(Map.of("", "v")).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () -> new OutgoingClientScope.Builder(APP).params(Map.of("k", "a\r\nb")).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new OutgoingClientScope.Builder(APP).clientName("").build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eventStreamScopeWhenFilterMalformedThenRefused() {
    assertThatThrownBy(() -> new EventStreamScope.Builder().filters(Map.of("", "x")).build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new EventStreamScope.Builder().filters(Map.of("k", "\u0001")).build())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void scopeWhenNullThenRefused() {
    assertThatThrownBy(() -> client().scope(null)).isInstanceOf(NullPointerException.class);
  }
}
