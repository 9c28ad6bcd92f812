package io.callsign.server.flex;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.WorkerSid;
import java.time.Instant;
import java.util.List;

/**
 * What a Flex token stands for: whose it is, until when, and what the user may do. For a token just
 * minted these are the values it carries; for a validated one they are the user's current roles,
 * permissions and worker, so that a role taken away applies to tokens already issued.
 *
 * @param tokenId the token's {@code jti}, the key revocation is recorded under
 * @param accountSid the instance's account
 * @param instanceSid the Flex instance
 * @param userSid the Flex user
 * @param username the user's username, also its identity
 * @param roles the user's roles
 * @param permissions the permission codes its roles grant
 * @param workerSid the user's TaskRouter worker, or {@code null}
 * @param issuedAt the token's {@code iat}
 * @param expiresAt the token's {@code exp}
 */
public record FlexTokenInfo(
    String tokenId,
    AccountSid accountSid,
    FlexInstanceSid instanceSid,
    FlexUserSid userSid,
    String username,
    List<String> roles,
    List<String> permissions,
    WorkerSid workerSid,
    Instant issuedAt,
    Instant expiresAt) {
  /** Copies the lists. */
  public FlexTokenInfo {
    roles = List.copyOf(roles);
    permissions = List.copyOf(permissions);
  }

  /** The identity the token carries: the username. */
  public String identity() {
    return username;
  }
}
