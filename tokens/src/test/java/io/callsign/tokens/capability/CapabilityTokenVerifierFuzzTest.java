package io.callsign.tokens.capability;

import static io.callsign.tokens.capability.CapabilityTestSupport.NOW;
import static io.callsign.tokens.capability.CapabilityTestSupport.clientPayload;
import static io.callsign.tokens.capability.CapabilityTestSupport.sign;
import static io.callsign.tokens.capability.CapabilityTestSupport.verifierAt;
import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.callsign.tokens.InvalidTokenException;
import java.util.List;

/**
 * The capability verifier under Jazzer; a normal build runs the empty input (regression mode),
 * {@code JAZZER_FUZZ=1} fuzzes. The only outcomes allowed are a verified token or an {@link
 * InvalidTokenException}, and whatever scopes parse must be written back to the same scopes.
 */
class CapabilityTokenVerifierFuzzTest {
  private static final CapabilityTokenVerifier VERIFIER = verifierAt(NOW);

  @FuzzTest(maxDuration = "30s")
  void verifyWhenArbitraryTokenThenOnlyVerifiesOrRefuses(FuzzedDataProvider data) {
    boolean taskRouter = data.consumeBoolean();
    String token =
        data.consumeBoolean()
            ? data.consumeRemainingAsString()
            : sign(
                data.consumeString(100),
                data.consumeRemainingAsString(),
                "HS256",
                CapabilityTestSupport.AUTH_TOKEN);
    try {
      if (taskRouter) {
        VERIFIER.verifyTaskRouterCapability(token);
      } else {
        VERIFIER.verifyClientCapability(token);
      }
    } catch (InvalidTokenException expected) {
      // the documented refusal
    }
  }

  @FuzzTest(maxDuration = "30s")
  void verifyWhenArbitraryScopeClaimThenParsedScopesRoundTrip(FuzzedDataProvider data) {
    String scope = data.consumeRemainingAsString();
    List<Scope> scopes;
    try {
      scopes = VERIFIER.verifyClientCapability(sign(clientPayload(scope))).scopes();
    } catch (InvalidTokenException expected) {
      return;
    } catch (IllegalArgumentException unencodable) {
      // The fuzzer produced text that JSON cannot carry (an unpaired surrogate).
      return;
    }
    String again = CapabilityTestSupport.client().scopes(scopes).build().toJwt();
    try {
      assertThat(VERIFIER.verifyClientCapability(again).scopes()).isEqualTo(scopes);
    } catch (InvalidTokenException e) {
      throw new AssertionError("re-encoded scopes were refused: " + e.getMessage(), e);
    }
  }
}
