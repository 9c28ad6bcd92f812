package io.callsign.tokens.capability;

/**
 * Lets the client receive calls addressed to {@code client:<clientName>}: the URI {@code
 * scope:client:incoming?clientName=<name>}.
 *
 * @param clientName the client's name; not empty, no control characters
 */
public record IncomingClientScope(String clientName) implements Scope {
  /**
   * Checks the name.
   *
   * @throws IllegalArgumentException if it is empty or contains control characters
   */
  public IncomingClientScope {
    CapabilityJwt.checkText("clientName", clientName, false);
  }

  @Override
  public String getPayload() {
    // Unlike twilio-java, the name is encoded: a raw space would be read as a scope separator.
    return ScopeCodec.INCOMING + "?clientName=" + ScopeCodec.encode(clientName);
  }
}
