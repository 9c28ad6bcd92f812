package io.callsign.tokens.capability;

import io.callsign.tokens.internal.KeyedMac;
import io.callsign.tokens.internal.TimeClaims;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.TaskQueueSid;
import io.callsign.tokens.sid.WorkerSid;
import io.callsign.tokens.sid.WorkspaceSid;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A TaskRouter capability token: an HS256 JWT signed with the account's auth token, giving a
 * worker, task queue or workspace channel the {@link Policy} rules it lists.
 *
 * <p>The builder has the shape of twilio-java's {@code
 * com.twilio.jwt.taskrouter.TaskRouterCapability}:
 *
 * <pre>{@code
 * String jwt = new TaskRouterCapabilityToken.Builder(accountSid, authToken, workspaceSid, workerSid)
 *     .friendlyName("Alice")
 *     .policies(PolicyUtils.defaultWorkerPolicies(workspaceSid, workerSid))
 *     .build()
 *     .toJwt();
 * }</pre>
 *
 * <p>The header is {@code {"alg":"HS256","typ":"JWT"}}; the payload is {@code iss, iat, exp,
 * version ("v1"), account_sid, workspace_sid, channel}, then {@code worker_sid} when the channel is
 * a worker (WK) or {@code taskqueue_sid} when it is a task queue (WQ), {@code friendly_name} when
 * set, and {@code policies}.
 *
 * <p><b>Event bridge policies.</b> Like twilio-java (and twilio-python), the builder appends GET
 * and POST on the channel's event bridge URL ({@link PolicyUtils#defaultEventBridgePolicies}),
 * because the TaskRouter JS SDK needs them to receive events; unlike twilio-java it skips those
 * already in the list, and {@link Builder#eventBridgePolicies(boolean)} turns them off
 * (twilio-node's behaviour).
 *
 * <p>The builder refuses malformed SIDs, a channel that is not a WK, WQ or WS SID, a workspace
 * channel other than the token's workspace, auth tokens shorter than 32 bytes and lifetimes above
 * 24 hours. Instances are immutable and thread-safe.
 */
public final class TaskRouterCapabilityToken {
  /** The only TaskRouter capability version: {@code "v1"}. */
  public static final String VERSION = "v1";

  /** Lifetime used when none is set: one hour. */
  public static final int DEFAULT_TTL_SECONDS = CapabilityJwt.DEFAULT_TTL_SECONDS;

  /** Longest lifetime allowed: 24 hours. */
  public static final int MAX_TTL_SECONDS = CapabilityJwt.MAX_TTL_SECONDS;

  private final String accountSid;
  private final String workspaceSid;
  private final String channelId;
  private final String friendlyName;
  private final long issuedAt;
  private final long expiresAt;
  private final List<Policy> policies;
  private final String jwt;

  private TaskRouterCapabilityToken(Builder b, long now) {
    this.accountSid = b.accountSid;
    this.workspaceSid = b.workspaceSid;
    this.channelId = b.channelId;
    this.friendlyName = b.friendlyName;
    this.issuedAt = now;
    this.expiresAt = now + b.ttl;
    List<Policy> all = new ArrayList<>(b.policies);
    if (b.eventBridgePolicies) {
      for (Policy policy : PolicyUtils.defaultEventBridgePolicies(accountSid, channelId)) {
        if (!all.contains(policy)) {
          all.add(policy);
        }
      }
    }
    this.policies = List.copyOf(all);
    this.jwt = CapabilityJwt.sign(claims(), b.key);
  }

  /** The signed token in compact serialization. */
  public String toJwt() {
    return jwt;
  }

  /** The issuer, {@code iss}, which is also {@code account_sid}. */
  public String getAccountSid() {
    return accountSid;
  }

  /** The workspace (WS...). */
  public String getWorkspaceSid() {
    return workspaceSid;
  }

  /** The channel: a worker (WK), task queue (WQ) or workspace (WS) SID. */
  public String getChannelId() {
    return channelId;
  }

  /** The friendly name, if set. */
  public Optional<String> getFriendlyName() {
    return Optional.ofNullable(friendlyName);
  }

  /** When the token was issued ({@code iat}). */
  public Instant getIssuedAt() {
    return Instant.ofEpochSecond(issuedAt);
  }

  /** When the token expires ({@code exp}). */
  public Instant getExpiration() {
    return Instant.ofEpochSecond(expiresAt);
  }

  /** The policies as written, event bridge policies included. */
  public List<Policy> getPolicies() {
    return policies;
  }

  /** The JOSE header. */
  public Map<String, Object> getHeaders() {
    return Map.of("alg", "HS256", "typ", "JWT");
  }

  /** The payload claims, in the order they are written. */
  public Map<String, Object> getClaims() {
    return Collections.unmodifiableMap(claims());
  }

  private Map<String, Object> claims() {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", accountSid);
    claims.put("iat", issuedAt);
    claims.put("exp", expiresAt);
    claims.put("version", VERSION);
    claims.put("account_sid", accountSid);
    claims.put("workspace_sid", workspaceSid);
    claims.put("channel", channelId);
    String sidClaim = channelSidClaim(channelId);
    if (sidClaim != null) {
      claims.put(sidClaim, channelId);
    }
    if (friendlyName != null) {
      claims.put("friendly_name", friendlyName);
    }
    claims.put("policies", Policy.toClaims(policies));
    return claims;
  }

  @Override
  public String toString() {
    return "TaskRouterCapabilityToken[iss="
        + accountSid
        + ", channel="
        + channelId
        + ", exp="
        + expiresAt
        + ", "
        + policies.size()
        + " policies]";
  }

  // ---------------------------------------------------------------------------------------------
  // Channel rules, shared with the verifier

  /**
   * The claim that repeats the channel's SID: {@code worker_sid} for a worker, {@code
   * taskqueue_sid} for a task queue, none (null) for a workspace.
   */
  static String channelSidClaim(String channelId) {
    if (channelId.startsWith(WorkerSid.PREFIX)) {
      return "worker_sid";
    }
    if (channelId.startsWith(TaskQueueSid.PREFIX)) {
      return "taskqueue_sid";
    }
    return null;
  }

  /** Why {@code channelId} cannot be the channel of a token for {@code workspaceSid}, or null. */
  static String channelProblem(String workspaceSid, String channelId) {
    if (!isChannelSid(channelId)) {
      return "the channel must be a worker (WK), task queue (WQ) or workspace (WS) SID";
    }
    if (channelId.startsWith(WorkspaceSid.PREFIX) && !channelId.equals(workspaceSid)) {
      return "a workspace channel must be the token's own workspace";
    }
    return null;
  }

  /**
   * Checks that {@code channelId} is a WK, WQ or WS SID.
   *
   * @throws IllegalArgumentException otherwise
   */
  static void checkChannelPrefix(String channelId) {
    if (!isChannelSid(channelId)) {
      throw new IllegalArgumentException(
          "the channel must be a worker (WK), task queue (WQ) or workspace (WS) SID");
    }
  }

  private static boolean isChannelSid(String channelId) {
    return Sids.isValid(WorkerSid.PREFIX, channelId)
        || Sids.isValid(TaskQueueSid.PREFIX, channelId)
        || Sids.isValid(WorkspaceSid.PREFIX, channelId);
  }

  /** Builds a {@link TaskRouterCapabilityToken}; the names are twilio-java's. */
  public static final class Builder {
    private final String accountSid;
    private final KeyedMac key;
    private final String workspaceSid;
    private final String channelId;
    private String friendlyName;
    private int ttl = DEFAULT_TTL_SECONDS;
    private List<Policy> policies = List.of();
    private boolean eventBridgePolicies = true;
    private Clock clock = Clock.systemUTC();

    /**
     * Starts a token for a channel of a workspace.
     *
     * @param accountSid the account (AC...), written as {@code iss} and {@code account_sid}
     * @param authToken the account's auth token, at least 32 bytes
     * @param workspaceSid the workspace (WS...)
     * @param channelId a worker (WK), task queue (WQ) or the workspace's own SID
     * @throws IllegalArgumentException if a SID is malformed, the channel does not fit, or the auth
     *     token is too short
     */
    public Builder(String accountSid, byte[] authToken, String workspaceSid, String channelId) {
      this.accountSid = AccountSid.of(accountSid).value();
      this.key = CapabilityJwt.signingKey(authToken);
      this.workspaceSid = WorkspaceSid.of(workspaceSid).value();
      Objects.requireNonNull(channelId, "channelId");
      String problem = channelProblem(this.workspaceSid, channelId);
      if (problem != null) {
        throw new IllegalArgumentException(problem);
      }
      this.channelId = channelId;
    }

    /** As {@link #Builder(String, byte[], String, String)}, with the auth token as UTF-8 text. */
    public Builder(String accountSid, String authToken, String workspaceSid, String channelId) {
      this(accountSid, CapabilityJwt.utf8(authToken), workspaceSid, channelId);
    }

    /**
     * A display name, written as {@code friendly_name}; null leaves it out.
     *
     * @throws IllegalArgumentException if it contains control characters
     */
    public Builder friendlyName(String friendlyName) {
      this.friendlyName =
          friendlyName == null ? null : CapabilityJwt.checkText("friendlyName", friendlyName, true);
      return this;
    }

    /**
     * The lifetime in seconds, from 1 to {@value TaskRouterCapabilityToken#MAX_TTL_SECONDS};
     * default {@value TaskRouterCapabilityToken#DEFAULT_TTL_SECONDS}.
     *
     * @throws IllegalArgumentException if out of range
     */
    public Builder ttl(int ttl) {
      this.ttl = TimeClaims.checkTtl(ttl);
      return this;
    }

    /** The policies, replacing any set before (as twilio-java does). */
    public Builder policies(List<Policy> policies) {
      List<Policy> copy = new ArrayList<>(policies.size());
      policies.forEach(p -> copy.add(Objects.requireNonNull(p, "policy")));
      this.policies = copy;
      return this;
    }

    /** Adds one policy after those set before. */
    public Builder policy(Policy policy) {
      List<Policy> copy = new ArrayList<>(policies);
      copy.add(Objects.requireNonNull(policy, "policy"));
      this.policies = copy;
      return this;
    }

    /**
     * Whether to append GET and POST on the channel's event bridge URL (those not already given);
     * true by default.
     */
    public Builder eventBridgePolicies(boolean eventBridgePolicies) {
      this.eventBridgePolicies = eventBridgePolicies;
      return this;
    }

    /** The clock that gives the issue time; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds and signs the token; the issue time is taken now. */
    public TaskRouterCapabilityToken build() {
      return new TaskRouterCapabilityToken(this, clock.instant().getEpochSecond());
    }
  }
}
