package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.clockAt;
import static io.callsign.tokens.capability.CapabilityTestSupport.expectedPolicies;
import static io.callsign.tokens.capability.CapabilityTestSupport.expectedScopes;
import static io.callsign.tokens.capability.CapabilityTestSupport.fixture;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.InvalidTokenException;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tokens recorded from the official libraries, in {@code src/test/resources/capability}:
 *
 * <ul>
 *   <li>{@code node-tokens.json}: minted by twilio-node 6.0.2 on Node 20 (script kept out of the
 *       repository), with a random 32-character auth token;
 *   <li>{@code java-tokens.json}: TaskRouter tokens minted by twilio-java 13.0.1 with a classpath
 *       on which it can serialize policies (see {@link TwilioJavaCapabilityCompatibilityTest});
 *   <li>{@code python-tokens.json}: twilio-python's scope and policy code transcribed, run with
 *       CPython's urlencode (PyPI was unreachable, so the package itself could not be installed).
 * </ul>
 *
 * <p>Each file records the account SID, auth token and mint time; the verifier's clock is fixed one
 * second after it.
 */
class OfficialLibraryFixturesTest {
  private static final List<String> FILES =
      List.of("node-tokens.json", "java-tokens.json", "python-tokens.json");

  private record Fixture(
      String file,
      String name,
      String kind,
      String jwt,
      long mintedAt,
      long exp,
      String accountSid,
      String authToken,
      Map<String, Object> expect,
      int code) {
    @Override
    public String toString() {
      return file + " " + name;
    }

    CapabilityTokenVerifier verifierAt(long epochSecond) {
      return CapabilityTokenVerifier.builder(accountSid, authToken)
          .clock(clockAt(epochSecond))
          .build();
    }

    void verify(CapabilityTokenVerifier verifier) throws InvalidTokenException {
      if (kind.equals("taskrouter")) {
        verifier.verifyTaskRouterCapability(jwt);
      } else {
        verifier.verifyClientCapability(jwt);
      }
    }
  }

  @SuppressWarnings("unchecked")
  private static Stream<Fixture> load(String list) {
    return FILES.stream()
        .flatMap(
            file -> {
              Map<String, Object> root = fixture(file);
              List<Object> entries = (List<Object>) root.getOrDefault(list, List.of());
              return entries.stream()
                  .map(
                      o -> {
                        Map<String, Object> t = (Map<String, Object>) o;
                        return new Fixture(
                            file.replace("-tokens.json", ""),
                            (String) t.get("name"),
                            (String) t.getOrDefault("kind", "client"),
                            (String) t.get("jwt"),
                            (Long) root.get("mintedAt"),
                            (Long) t.getOrDefault("exp", 0L),
                            (String) root.get("accountSid"),
                            (String) root.get("authToken"),
                            (Map<String, Object>) t.get("expect"),
                            ((Long) t.getOrDefault("code", 0L)).intValue());
                      });
            });
  }

  static Stream<Fixture> validTokens() {
    return load("tokens");
  }

  static Stream<Fixture> validTaskRouterTokens() {
    return validTokens().filter(f -> f.kind().equals("taskrouter"));
  }

  static Stream<Fixture> validClientTokens() {
    return validTokens().filter(f -> f.kind().equals("client"));
  }

  static Stream<Arguments> invalidTokens() {
    return load("invalid").map(f -> Arguments.of(f, f.code()));
  }

  @Test
  void fixturesWhenLoadedThenEveryLibraryAndKindIsPresent() {
    assertThat(validTokens().map(f -> f.file() + "/" + f.kind()).distinct())
        .containsExactlyInAnyOrder(
            "node/client",
            "node/taskrouter",
            "java/taskrouter",
            "python/client",
            "python/taskrouter");
    assertThat(validTokens()).hasSizeGreaterThanOrEqualTo(25);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validClientTokens")
  void verifyWhenClientTokenFromOfficialLibraryThenScopesMatch(Fixture f) throws Exception {
    VerifiedClientCapability verified =
        f.verifierAt(f.mintedAt() + 1).verifyClientCapability(f.jwt());

    assertThat(verified.scopes()).isEqualTo(expectedScopes(f.expect()));
    assertThat(verified.accountSid()).isEqualTo(f.accountSid());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTaskRouterTokens")
  void verifyWhenTaskRouterTokenFromOfficialLibraryThenPoliciesMatch(Fixture f) throws Exception {
    VerifiedTaskRouterCapability verified =
        f.verifierAt(f.mintedAt() + 1).verifyTaskRouterCapability(f.jwt());

    assertThat(verified.policies()).isEqualTo(expectedPolicies(f.expect()));
    assertThat(verified.workspaceSid()).isEqualTo(f.expect().get("workspaceSid"));
    assertThat(verified.channelId()).isEqualTo(f.expect().get("channel"));
    assertThat(verified.friendlyName().orElse(null)).isEqualTo(f.expect().get("friendlyName"));
    assertThat(verified.accountSid()).isEqualTo(f.accountSid());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidTokens")
  void verifyWhenOfficialLibraryTokenIsBadThenRefusedWithItsCode(Fixture f, int code) {
    assertThatThrownBy(() -> f.verify(f.verifierAt(f.mintedAt() + 1)))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(code));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void verifyWhenOfficialLibraryTokenExpiredBeyondSkewThenRefusedWith20104(Fixture f) {
    assertThatThrownBy(() -> f.verify(f.verifierAt(f.exp() + 61)))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20104));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void verifyWhenOfficialLibraryTokenCheckedWithAnotherAuthTokenThenRefusedWith20107(Fixture f) {
    CapabilityTokenVerifier verifier =
        CapabilityTokenVerifier.builder(f.accountSid(), CapabilityTestSupport.OTHER_AUTH_TOKEN)
            .clock(clockAt(f.mintedAt() + 1))
            .build();

    assertThatThrownBy(() -> f.verify(verifier))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20107));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("validTokens")
  void verifyWhenOfficialLibraryTokenPresentedToTheOtherKindThenRefusedWith20101(Fixture f) {
    CapabilityTokenVerifier verifier = f.verifierAt(f.mintedAt() + 1);

    assertThatThrownBy(
            () -> {
              if (f.kind().equals("taskrouter")) {
                verifier.verifyClientCapability(f.jwt());
              } else {
                verifier.verifyTaskRouterCapability(f.jwt());
              }
            })
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.code()).isEqualTo(20101));
  }

  @Test
  void verifyWhenNodeAskedForADenyingPolicyThenTokenSaysAllowAsNodeWritesIt() throws Exception {
    Fixture f =
        validTokens()
            .filter(t -> t.file().equals("node") && t.name().equals("workerActivityUpdate"))
            .findFirst()
            .orElseThrow();

    List<Policy> policies =
        f.verifierAt(f.mintedAt() + 1).verifyTaskRouterCapability(f.jwt()).policies();

    // twilio-node's `options.allow || true` turns allow: false into true.
    assertThat(policies)
        .filteredOn(p -> p.method() == HttpMethod.DELETE)
        .singleElement()
        .extracting(Policy::allowed)
        .isEqualTo(true);
  }
}
