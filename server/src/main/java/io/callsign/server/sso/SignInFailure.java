package io.callsign.server.sso;

/**
 * Why a sign-in that reached Callsign's callback did not end with a code: the reason recorded in
 * the audit trail, the OAuth error code the SDK's redirect URL receives (RFC 6749 section 4.1.2.1),
 * and a message for people. None carries anything secret.
 */
public enum SignInFailure {
  /** The profile was deactivated or deleted while the user was at the provider. */
  PROFILE_INACTIVE("profile_inactive", "access_denied", "The SSO profile is not active"),
  /** The user came back after the sign-in's 10 minutes. */
  STATE_EXPIRED("state_expired", "access_denied", "The sign-in took too long; start it again"),
  /** The browser that came back is not the one that started the sign-in (no or another cookie). */
  OTHER_BROWSER(
      "other_browser",
      "access_denied",
      "The sign-in was started in another browser; start it again"),
  /** The provider answered with an error (the user cancelled, or was refused). */
  PROVIDER_DENIED(
      "provider_denied", "access_denied", "The identity provider did not sign the user in"),
  /** The answer names another issuer than the one the sign-in was sent to (mix-up). */
  ISSUER_MISMATCH(
      "issuer_mismatch",
      "access_denied",
      "The answer came from another identity provider than the one the sign-in was sent to"),
  /** The provider (discovery, keys or token endpoint) could not be reached. */
  PROVIDER_UNREACHABLE(
      "provider_unreachable",
      "temporarily_unavailable",
      "The identity provider could not be reached"),
  /** The provider answered, but with something Callsign cannot use. */
  PROVIDER_UNUSABLE(
      "provider_unusable", "server_error", "The identity provider's answer could not be used"),
  /** The provider's token endpoint refused to redeem the code. */
  PROVIDER_REFUSED(
      "provider_refused", "server_error", "The identity provider refused to redeem the code"),
  /** The ID token failed validation: signature, issuer, audience, nonce or expiry. */
  ID_TOKEN_INVALID(
      "id_token_invalid", "access_denied", "The identity provider's ID token is not valid"),
  /** The ID token lacks a claim the profile needs, or has one Flex cannot take. */
  CLAIMS_UNUSABLE(
      "claims_unusable", "access_denied", "The identity provider's claims cannot make a Flex user"),
  /** The Flex user was deprovisioned by an administrator. */
  USER_DEACTIVATED(
      "user_deactivated", "access_denied", "The Flex user is deactivated; ask an administrator");

  private final String reason;
  private final String oauthError;
  private final String message;

  SignInFailure(String reason, String oauthError, String message) {
    this.reason = reason;
    this.oauthError = oauthError;
    this.message = message;
  }

  /** The reason recorded in {@code sso.sign-in.failed} events. */
  public String reason() {
    return reason;
  }

  /** The {@code error} sent to the SDK's redirect URL. */
  public String oauthError() {
    return oauthError;
  }

  /** What happened, for people. */
  public String message() {
    return message;
  }

  /** This failure, with a detail that is safe to show and record (no secret, no code). */
  SignInException because(String detail) {
    return new SignInException(this, detail);
  }

  /** A sign-in that failed, thrown inside the flow and turned into a redirect at its end. */
  static final class SignInException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient SignInFailure failure;
    private final String detail;

    SignInException(SignInFailure failure, String detail) {
      // No stack trace: an expected outcome.
      super(failure.reason() + (detail == null ? "" : ": " + detail), null, false, false);
      this.failure = failure;
      this.detail = detail;
    }

    SignInFailure failure() {
      return failure;
    }

    /** More about it (e.g. which ID-token check failed), or {@code null}. */
    String detail() {
      return detail;
    }
  }
}
