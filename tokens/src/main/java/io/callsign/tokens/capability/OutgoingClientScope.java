package io.callsign.tokens.capability;

import io.callsign.tokens.sid.ApplicationSid;
import java.util.Map;
import java.util.Objects;

/**
 * Lets the client place calls through a TwiML application: the URI {@code
 * scope:client:outgoing?appSid=<AP>[&clientName=<name>][&appParams=<params>]}, where {@code
 * appParams} is the query string of {@code params}, escaped once more.
 *
 * @param applicationSid the TwiML application (AP...)
 * @param clientName the caller's client name, or null
 * @param params parameters passed to the application, in order; unmodifiable, empty when none
 */
public record OutgoingClientScope(
    String applicationSid, String clientName, Map<String, String> params) implements Scope {
  /**
   * Checks and copies the values.
   *
   * @throws IllegalArgumentException if the SID is malformed, the client name is empty, or a name
   *     or value contains control characters
   */
  public OutgoingClientScope {
    applicationSid = ApplicationSid.of(applicationSid).value();
    if (clientName != null) {
      CapabilityJwt.checkText("clientName", clientName, false);
    }
    params = ScopeCodec.checkParams("param", params);
  }

  @Override
  public String getPayload() {
    StringBuilder uri = new StringBuilder(ScopeCodec.OUTGOING).append("?appSid=");
    uri.append(applicationSid);
    if (clientName != null) {
      uri.append("&clientName=").append(ScopeCodec.encode(clientName));
    }
    if (!params.isEmpty()) {
      uri.append("&appParams=").append(ScopeCodec.encode(ScopeCodec.query(params)));
    }
    return uri.toString();
  }

  /** Builds an {@link OutgoingClientScope}; the names are twilio-java's. */
  public static final class Builder {
    private final String applicationSid;
    private String clientName;
    private Map<String, String> params = Map.of();

    /** Starts a scope for the TwiML application {@code applicationSid} (AP...). */
    public Builder(String applicationSid) {
      this.applicationSid = Objects.requireNonNull(applicationSid, "applicationSid");
    }

    /** The caller's client name. */
    public Builder clientName(String clientName) {
      this.clientName = clientName;
      return this;
    }

    /** Parameters passed to the application; their iteration order is kept. */
    public Builder params(Map<String, String> params) {
      this.params = params;
      return this;
    }

    /**
     * Builds the scope.
     *
     * @throws IllegalArgumentException if a value is malformed
     */
    public OutgoingClientScope build() {
      return new OutgoingClientScope(applicationSid, clientName, params);
    }
  }
}
