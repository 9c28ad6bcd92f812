package io.callsign.server.flex;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.WorkspaceSid;
import java.time.Instant;
import javax.crypto.SecretKey;

/**
 * An account's Flex instance. Every account has exactly one, created with it.
 *
 * @param sid the instance ({@code GO...})
 * @param accountSid the account that owns it
 * @param workspaceSid its TaskRouter workspace ({@code WS...}), where its users' workers live
 * @param tokenKey the AES-256 key its Flex tokens are encrypted with (held encrypted at rest)
 * @param tokenTtl the lifetime, in seconds, of the Access Tokens its token server issues
 * @param tokenServerKeySid the API key its token server signs with, or {@code null} before the
 *     first sign-in
 * @param dateCreated when it was created
 * @param dateUpdated when it last changed
 */
public record FlexInstance(
    FlexInstanceSid sid,
    AccountSid accountSid,
    WorkspaceSid workspaceSid,
    SecretKey tokenKey,
    int tokenTtl,
    KeySid tokenServerKeySid,
    Instant dateCreated,
    Instant dateUpdated) {
  /** The token server's default Access Token lifetime: one hour. */
  public static final int DEFAULT_TOKEN_TTL = 3600;

  /** Never prints the key. */
  @Override
  public String toString() {
    return "FlexInstance[" + sid + " of " + accountSid + "]";
  }
}
