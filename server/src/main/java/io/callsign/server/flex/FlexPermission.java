package io.callsign.server.flex;

import java.util.Optional;

/**
 * The Flex permission codes that roles grant and Flex tokens list in {@code token_info}. Twilio
 * documents only the shape of the codes ({@code FPN9999}, {@code FPN0000} for an agent); the
 * catalogue and its meanings are Callsign's (docs/design/0007-flex-instances-users-roles.md).
 */
public enum FlexPermission {
  /** Sign in to Flex. Every built-in role holds it. */
  SIGN_IN("FPN9999", "Sign in to Flex"),
  /** Accept, work on and complete tasks. */
  HANDLE_TASKS("FPN0000", "Accept, work on and complete tasks"),
  /** See teams and queues, monitor and join agents' conversations. */
  MONITOR("FPN0100", "Monitor teams, queues and conversations"),
  /** Manage the instance: users, roles and settings. */
  ADMINISTER("FPN0200", "Manage users, roles and instance settings");

  private final String code;
  private final String description;

  FlexPermission(String code, String description) {
    this.code = code;
    this.description = description;
  }

  /** The wire code, e.g. {@code FPN0000}. */
  public String code() {
    return code;
  }

  /** What holding it allows. */
  public String description() {
    return description;
  }

  /** The permission with wire code {@code code}, if any. */
  public static Optional<FlexPermission> ofCode(String code) {
    for (FlexPermission p : values()) {
      if (p.code.equals(code)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
