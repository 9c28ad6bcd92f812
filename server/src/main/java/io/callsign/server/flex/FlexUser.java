package io.callsign.server.flex;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.WorkerSid;
import java.time.Instant;
import java.util.List;

/**
 * A Flex user. A deprovisioned user keeps its record (with {@code deactivatedDate} set).
 *
 * @param sid the user ({@code FU...})
 * @param instanceSid its Flex instance
 * @param accountSid the instance's account
 * @param username unique in the instance, case aside; the identity of its tokens
 * @param email its email address
 * @param fullName its full name
 * @param locale its locale, or {@code null}
 * @param roles the roles it holds, at least one
 * @param workerSid its TaskRouter worker, or {@code null} while deactivated
 * @param workerAttributes its worker's attributes, a JSON object's text
 * @param passwordHash the Argon2id hash of its token-server password (PHC string), or {@code null}
 * @param deactivatedDate when it was deprovisioned, or {@code null} while active
 * @param tokenGeneration the generation its Flex tokens must carry; raised by deprovisioning so
 *     that every earlier token stops validating
 * @param version raised by every change
 * @param dateCreated when it was provisioned first
 * @param dateUpdated when it last changed
 */
public record FlexUser(
    FlexUserSid sid,
    FlexInstanceSid instanceSid,
    AccountSid accountSid,
    String username,
    String email,
    String fullName,
    String locale,
    List<String> roles,
    WorkerSid workerSid,
    String workerAttributes,
    String passwordHash,
    Instant deactivatedDate,
    long tokenGeneration,
    long version,
    Instant dateCreated,
    Instant dateUpdated) {
  /** Copies the list. */
  public FlexUser {
    roles = List.copyOf(roles);
  }

  /** Whether it is deactivated (deprovisioned). */
  public boolean deactivated() {
    return deactivatedDate != null;
  }

  /** Never prints the password hash. */
  @Override
  public String toString() {
    return "FlexUser[" + sid + " " + username + " in " + instanceSid + "]";
  }
}
