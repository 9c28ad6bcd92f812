package io.callsign.server.console;

/**
 * What the console's templates ({@code src/main/jte/console}) are given: plain values, formatted
 * for display already, so that templates hold no logic beyond showing them.
 */
public final class Views {
  private Views() {}

  /**
   * What every page shows.
   *
   * @param title the page's title
   * @param nav which navigation entry is current ({@code dashboard}, {@code keys}, ...), or {@code
   *     null} outside the signed-in console
   * @param email the signed-in user's address, or {@code null}
   * @param accountSid the account, or {@code null}
   * @param csrf the token forms send back
   * @param notice a confirmation to show, or {@code null}
   * @param error an error to show, or {@code null}
   */
  public record Page(
      String title,
      String nav,
      String email,
      String accountSid,
      String csrf,
      String notice,
      String error) {
    /** This page with {@code error} shown. */
    public Page withError(String error) {
      return new Page(title, nav, email, accountSid, csrf, notice, error);
    }

    /** This page with {@code notice} shown. */
    public Page withNotice(String notice) {
      return new Page(title, nav, email, accountSid, csrf, notice, error);
    }
  }

  /**
   * The dashboard.
   *
   * @param accountSid the account
   * @param friendlyName its name
   * @param status its status
   * @param dateCreated when it was created
   * @param secondaryCreated when the secondary auth token was created, or {@code null} for none
   * @param newSecondaryToken a secondary token created just now (shown once), or {@code null}
   * @param revealedAuthToken the auth token, after a fresh code, or {@code null}
   */
  public record Dashboard(
      String accountSid,
      String friendlyName,
      String status,
      String dateCreated,
      String secondaryCreated,
      String newSecondaryToken,
      String revealedAuthToken) {}

  /**
   * An API key in the list.
   *
   * @param sid the key's SID
   * @param friendlyName its name
   * @param type standard, main or restricted
   * @param dateCreated when it was created
   * @param lastUsed when and from where it was last used, or "never"
   */
  public record KeyRow(
      String sid, String friendlyName, String type, String dateCreated, String lastUsed) {}

  /**
   * A key created just now, with its secret (shown this once).
   *
   * @param sid the key's SID
   * @param friendlyName its name
   * @param type its type
   * @param secret its secret
   */
  public record NewKey(String sid, String friendlyName, String type, String secret) {}

  /**
   * A Flex user in the list.
   *
   * @param sid the user's SID
   * @param username the username
   * @param email the address
   * @param fullName the full name
   * @param roles the roles, comma separated
   * @param active whether the user is provisioned
   */
  public record FlexUserRow(
      String sid, String username, String email, String fullName, String roles, boolean active) {}

  /**
   * A Flex token minted for testing.
   *
   * @param username whose
   * @param token the token
   * @param expires when it expires
   */
  public record TestToken(String username, String token, String expires) {}

  /**
   * A single sign-on profile in the list.
   *
   * @param sid the profile's SID
   * @param friendlyName its name
   * @param issuer the provider's issuer
   * @param clientId the client id at the provider
   * @param active whether sign-in through it is on
   * @param redirectUrls the approved redirect URLs
   * @param dateUpdated when it last changed
   */
  public record SsoRow(
      String sid,
      String friendlyName,
      String issuer,
      String clientId,
      boolean active,
      String redirectUrls,
      String dateUpdated) {}

  /**
   * The audit page's filters, as typed.
   *
   * @param eventType exact event type, or empty
   * @param actor actor SID, or empty
   * @param resource resource SID, or empty
   * @param since from this date or date-time, or empty
   * @param until before this date or date-time, or empty
   */
  public record AuditFilters(
      String eventType, String actor, String resource, String since, String until) {}

  /**
   * An audit event in the list.
   *
   * @param date when, ISO 8601 UTC
   * @param eventType its type
   * @param actor who ({@code type SID})
   * @param resource what it acted on, or empty
   * @param source api, console, ...
   * @param ipAddress from where, or empty
   * @param description what happened
   */
  public record EventRow(
      String date,
      String eventType,
      String actor,
      String resource,
      String source,
      String ipAddress,
      String description) {}

  /**
   * The token inspector's verdict.
   *
   * @param kind what the token is ("Access Token", "Flex token", or "Unrecognised")
   * @param valid whether it is valid for this account now
   * @param code the Twilio error code when not valid, else 0
   * @param message why not, or a summary when valid
   * @param header the decoded header as indented JSON, or empty when it cannot be read
   * @param claims the decoded claims as indented JSON, or empty when they cannot be read
   */
  public record Inspection(
      String kind, boolean valid, int code, String message, String header, String claims) {}

  /**
   * The TOTP enrolment page.
   *
   * @param qrSvg the QR code, as SVG markup made by the server
   * @param secret the seed in base32, grouped by four for typing
   */
  public record Enrol(String qrSvg, String secret) {}
}
