package io.callsign.server.sso;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.SsoProfileSid;
import java.time.Instant;
import java.util.List;

/**
 * How the users of one Flex instance sign in through one OpenID Connect provider.
 *
 * @param sid the profile ({@code JQ...}); the Flex SDK calls it {@code ssoProfileSid} and {@code
 *     connection_name}
 * @param accountSid the instance's account
 * @param instanceSid the Flex instance whose users sign in
 * @param friendlyName a name for people
 * @param issuer the provider's issuer identifier, exactly as its discovery document states it
 * @param clientId Callsign's client ID at the provider
 * @param clientSecret Callsign's client secret at the provider (held encrypted at rest), or {@code
 *     null} for a public client (PKCE only)
 * @param scopes the scopes asked for, {@code openid} among them
 * @param usernameClaim the ID-token claim a new user's username comes from
 * @param emailClaim the claim the user's email comes from
 * @param fullNameClaim the claim the user's full name comes from
 * @param rolesClaim the claim listing the user's Flex roles, or {@code null} to give every user
 *     {@code defaultRole}
 * @param defaultRole the role a user gets when the roles claim names none of the instance's roles
 * @param redirectUrls where the SDK may ask to be sent back to, compared exactly
 * @param active whether users may sign in through it
 * @param appType {@code SinglePageApp} or {@code MobileApp}
 * @param version raised by every change
 * @param dateCreated when it was created
 * @param dateUpdated when it last changed
 */
public record SsoProfile(
    SsoProfileSid sid,
    AccountSid accountSid,
    FlexInstanceSid instanceSid,
    String friendlyName,
    String issuer,
    String clientId,
    String clientSecret,
    List<String> scopes,
    String usernameClaim,
    String emailClaim,
    String fullNameClaim,
    String rolesClaim,
    String defaultRole,
    List<String> redirectUrls,
    boolean active,
    String appType,
    long version,
    Instant dateCreated,
    Instant dateUpdated) {
  /** The app type of browser apps, the SDK's default. */
  public static final String SINGLE_PAGE_APP = "SinglePageApp";

  /** The app type of native apps. */
  public static final String MOBILE_APP = "MobileApp";

  /** Copies the lists. */
  public SsoProfile {
    scopes = List.copyOf(scopes);
    redirectUrls = List.copyOf(redirectUrls);
  }

  /** Never prints the client secret. */
  @Override
  public String toString() {
    return "SsoProfile[" + sid + " of " + instanceSid + ", issuer " + issuer + "]";
  }
}
