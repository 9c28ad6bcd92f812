package io.callsign.server.sso;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.SsoProfileSid;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where SSO profiles, user links and the records of sign-ins live. Client secrets and Callsign's
 * PKCE verifiers are encrypted at rest; codes and refresh tokens are kept as hashes only. Every
 * "single use" is decided here by one conditional statement, so that it holds across nodes.
 */
public interface SsoStore {
  // ------------------------------------------------------------------------------- profiles

  /** Inserts a new profile. */
  void insertProfile(SsoProfile profile);

  /** The profile with this SID, if any. */
  Optional<SsoProfile> findProfile(SsoProfileSid sid);

  /** The profiles of {@code instance}, oldest first. */
  List<SsoProfile> listProfiles(FlexInstanceSid instance);

  /** The profiles of {@code account}'s instances, oldest first. */
  List<SsoProfile> listProfilesOfAccount(AccountSid account);

  /**
   * Replaces the profile's fields with {@code profile}'s if its stored version is still {@code
   * expectedVersion}; false when another request changed it first.
   */
  boolean updateProfile(SsoProfile profile, long expectedVersion);

  /**
   * Deletes the profile with its pending sign-ins, codes and refresh tokens; false when there was
   * none.
   */
  boolean deleteProfile(SsoProfileSid sid);

  // ---------------------------------------------------------------------------------- links

  /** The Flex user of {@code instance} that the provider's {@code (issuer, subject)} is, if any. */
  Optional<FlexUserSid> findLink(FlexInstanceSid instance, String issuer, String subject);

  /**
   * Links {@code (issuer, subject)} to {@code user} in {@code instance}; false when that identity
   * is linked already (a concurrent first sign-in won).
   */
  boolean insertLink(
      FlexInstanceSid instance,
      String issuer,
      String subject,
      FlexUserSid user,
      SsoProfileSid profile,
      Instant now);

  /** Records a sign-in through a link. */
  void touchLink(FlexInstanceSid instance, String issuer, String subject, Instant now);

  // --------------------------------------------------------------------------- pending logins

  /**
   * A sign-in sent to the provider.
   *
   * @param stateHash the hash of Callsign's state toward the provider (the key)
   * @param profileSid the profile it is for
   * @param issuer the issuer it was sent to (an answer from any other is refused)
   * @param browserHash the hash of the cookie binding it to the browser that started it
   * @param nonce Callsign's nonce toward the provider
   * @param codeVerifier Callsign's PKCE verifier toward the provider (sealed at rest)
   * @param callbackUrl the {@code redirect_uri} sent to the provider
   * @param sdkRedirectUrl where the SDK asked to be sent back to (one of the profile's)
   * @param sdkState the SDK's state, passed back unchanged
   * @param sdkNonce the SDK's nonce, which its exchange must repeat
   * @param sdkCodeChallenge the SDK's S256 code challenge, which its exchange must answer
   * @param expiresAt when it stops being accepted
   * @param dateCreated when it started
   */
  record PendingLogin(
      String stateHash,
      SsoProfileSid profileSid,
      String issuer,
      String browserHash,
      String nonce,
      String codeVerifier,
      String callbackUrl,
      String sdkRedirectUrl,
      String sdkState,
      String sdkNonce,
      String sdkCodeChallenge,
      Instant expiresAt,
      Instant dateCreated) {
    /** Never prints the verifier. */
    @Override
    public String toString() {
      return "PendingLogin[" + profileSid + ", expiresAt=" + expiresAt + "]";
    }
  }

  /** Records a sign-in sent to the provider. */
  void insertPendingLogin(PendingLogin login);

  /**
   * Takes the pending sign-in whose state hashes to {@code stateHash}: returns it and deletes it,
   * so that only one caller ever gets it; empty when there is none (unknown, or taken already).
   */
  Optional<PendingLogin> takePendingLogin(String stateHash);

  // ---------------------------------------------------------------------------------- codes

  /**
   * One of Callsign's authorization codes.
   *
   * @param codeHash the hash of the code (the key)
   * @param profileSid the profile it was issued through
   * @param userSid the Flex user who signed in
   * @param sdkRedirectUrl the redirect URL it was sent to
   * @param sdkNonce the SDK's nonce it is bound to
   * @param sdkCodeChallenge the SDK's code challenge it is bound to
   * @param expiresAt when it stops being exchangeable
   * @param usedAt when it was exchanged (or an exchange was tried), or {@code null}
   * @param familyId the refresh-token family its exchange started, or {@code null}
   * @param dateCreated when it was issued
   */
  record IssuedCode(
      String codeHash,
      SsoProfileSid profileSid,
      FlexUserSid userSid,
      String sdkRedirectUrl,
      String sdkNonce,
      String sdkCodeChallenge,
      Instant expiresAt,
      Instant usedAt,
      String familyId,
      Instant dateCreated) {}

  /** Records an issued code. */
  void insertCode(IssuedCode code);

  /**
   * Marks the code used, with the family its exchange will start, if nobody used it before; returns
   * it then, else empty (unknown, or used already).
   */
  Optional<IssuedCode> claimCode(String codeHash, String familyId, Instant now);

  /** Marks a used code as replayed and returns it; empty when no used code has this hash. */
  Optional<IssuedCode> markCodeReplayed(String codeHash, Instant now);

  /**
   * Marks the code's exchange complete unless it was replayed meanwhile (then false). Holds the
   * code's row until the transaction ends, so that a replay waits for the exchange's tokens and
   * then revokes them.
   */
  boolean markCodeExchanged(String codeHash, Instant now);

  // ------------------------------------------------------------------------- refresh tokens

  /**
   * The refresh tokens of one sign-in.
   *
   * @param familyId random, the key
   * @param profileSid the profile the sign-in went through
   * @param instanceSid the Flex instance
   * @param userSid the Flex user
   * @param expiresAt the absolute end of the family
   * @param revokedAt when it was revoked, or {@code null}
   * @param dateCreated when the sign-in was
   */
  record RefreshFamily(
      String familyId,
      SsoProfileSid profileSid,
      FlexInstanceSid instanceSid,
      FlexUserSid userSid,
      Instant expiresAt,
      Instant revokedAt,
      Instant dateCreated) {}

  /**
   * One refresh token.
   *
   * @param tokenHash the hash of the token (the key)
   * @param familyId its family
   * @param accessTokenId the {@code jti} of the Flex token issued with it
   * @param accessExpiresAt when that Flex token expires
   * @param expiresAt when it stops being accepted if unused (the idle limit)
   * @param usedAt when it was rotated, or {@code null}
   * @param dateCreated when it was issued
   */
  record RefreshToken(
      String tokenHash,
      String familyId,
      String accessTokenId,
      Instant accessExpiresAt,
      Instant expiresAt,
      Instant usedAt,
      Instant dateCreated) {}

  /** Records a new family. */
  void insertFamily(RefreshFamily family);

  /** The family with this id, if any. */
  Optional<RefreshFamily> findFamily(String familyId);

  /**
   * Locks the family's row until the transaction ends if it is not revoked (then true), so that a
   * concurrent revocation waits for the token being added and then revokes it too.
   */
  boolean holdFamily(String familyId);

  /** Records an issued refresh token. */
  void insertRefreshToken(RefreshToken token);

  /** The refresh token with this hash, if any. */
  Optional<RefreshToken> findRefreshToken(String tokenHash);

  /**
   * Marks the refresh token used (rotated) if nobody used it before; returns it then, else empty.
   */
  Optional<RefreshToken> claimRefreshToken(String tokenHash, Instant now);

  /**
   * A Flex token issued in a family, to revoke with it.
   *
   * @param tokenId its {@code jti}
   * @param expiresAt its {@code exp}
   */
  record IssuedAccess(String tokenId, Instant expiresAt) {}

  /**
   * Revokes the family (if it was not already) and returns the Flex tokens issued in it, so that
   * they can be revoked too.
   */
  List<IssuedAccess> revokeFamily(String familyId, Instant now);

  /**
   * Forgets expired pending sign-ins and refresh families, and codes issued before {@code
   * codesBefore}.
   */
  void prune(Instant now, Instant codesBefore);
}
