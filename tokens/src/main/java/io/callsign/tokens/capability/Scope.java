package io.callsign.tokens.capability;

/**
 * One capability of a {@link ClientCapabilityToken}: a scope URI such as {@code
 * scope:client:incoming?clientName=alice}.
 *
 * <p>The same types come back from {@link CapabilityTokenVerifier#verifyClientCapability(String)},
 * whichever library wrote the token, so scopes compare with {@code equals}.
 */
public sealed interface Scope permits IncomingClientScope, OutgoingClientScope, EventStreamScope {
  /**
   * The scope URI in Callsign's encoding: RFC 3986 percent-encoding of UTF-8 with only {@code A-Z
   * a-z 0-9 - . _ ~} left as they are, so a space is {@code %20} (twilio-node's form). The name and
   * the absence of a checked exception follow twilio-java's {@code Scope.getPayload()}.
   */
  String getPayload();
}
