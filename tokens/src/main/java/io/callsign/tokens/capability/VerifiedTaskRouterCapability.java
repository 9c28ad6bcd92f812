package io.callsign.tokens.capability;

import io.callsign.tokens.internal.TimeClaims;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A TaskRouter capability token whose signature, issuer, lifetime, channel and policies have been
 * checked by a {@link CapabilityTokenVerifier}. Only the verifier creates these.
 */
public final class VerifiedTaskRouterCapability {
  private final String accountSid;
  private final String workspaceSid;
  private final String channelId;
  private final String friendlyName;
  private final List<Policy> policies;
  private final TimeClaims times;
  private final Map<String, Object> claims;

  VerifiedTaskRouterCapability(
      String accountSid,
      String workspaceSid,
      String channelId,
      String friendlyName,
      List<Policy> policies,
      TimeClaims times,
      Map<String, Object> claims) {
    this.accountSid = accountSid;
    this.workspaceSid = workspaceSid;
    this.channelId = channelId;
    this.friendlyName = friendlyName;
    this.policies = policies;
    this.times = times;
    this.claims = claims;
  }

  /** The account whose auth token signed the token ({@code iss}, equal to {@code account_sid}). */
  public String accountSid() {
    return accountSid;
  }

  /** The workspace (WS...). */
  public String workspaceSid() {
    return workspaceSid;
  }

  /** The channel: a worker (WK), task queue (WQ) or the workspace (WS) SID. */
  public String channelId() {
    return channelId;
  }

  /** The worker, when the channel is one ({@code worker_sid}). */
  public Optional<String> workerSid() {
    return Optional.ofNullable((String) claims.get("worker_sid"));
  }

  /** The task queue, when the channel is one ({@code taskqueue_sid}). */
  public Optional<String> taskQueueSid() {
    return Optional.ofNullable((String) claims.get("taskqueue_sid"));
  }

  /** The friendly name, if set. */
  public Optional<String> friendlyName() {
    return Optional.ofNullable(friendlyName);
  }

  /**
   * The policies, in order. Filters that a library left out are empty here, so a policy compares
   * equal whichever library wrote it.
   */
  public List<Policy> policies() {
    return policies;
  }

  /** When the token expires ({@code exp}). */
  public Instant expiresAt() {
    return times.expiresAt();
  }

  /** When the token was issued ({@code iat}, which twilio-node and Callsign write), if set. */
  public Optional<Instant> issuedAt() {
    return times.issuedAt();
  }

  /** When the token becomes valid ({@code nbf}, which twilio-python writes), if set. */
  public Optional<Instant> notBefore() {
    return times.notBefore();
  }

  /** All payload claims as decoded, unmodifiable. */
  public Map<String, Object> claims() {
    return claims;
  }

  @Override
  public String toString() {
    return "VerifiedTaskRouterCapability[iss="
        + accountSid
        + ", channel="
        + channelId
        + ", "
        + policies.size()
        + " policies]";
  }
}
