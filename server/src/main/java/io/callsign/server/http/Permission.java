package io.callsign.server.http;

import java.util.Locale;
import java.util.Optional;

/**
 * What a call needs (DESIGN.md section 4). Auth tokens and main keys hold every permission;
 * standard keys all but {@link #CREDENTIALS_MANAGE} and {@link #KEY_USAGE_READ}; restricted keys
 * only those whose {@link #policyName()} their policy lists.
 */
public enum Permission {
  /** Managing keys, accounts and auth tokens, and seeing an auth token: never by policy. */
  CREDENTIALS_MANAGE(null),
  /** Reading accounts (without their auth tokens). */
  ACCOUNTS_READ("/twilio/accounts/accounts/read"),
  /** Minting Access Tokens: a restricted key never may (twilio-wire.md 2.1). */
  ACCESS_TOKENS_CREATE(null),
  /** Introspecting Access Tokens. */
  ACCESS_TOKENS_INTROSPECT("/twilio/iam/access-tokens/introspect"),
  /** Reading Flex instances, users and roles. */
  FLEX_USERS_READ("/twilio/flex/users/read"),
  /** Provisioning, changing and deprovisioning Flex users and roles, and setting passwords. */
  FLEX_USERS_MANAGE("/twilio/flex/users/manage"),
  /** Minting Flex tokens for users. */
  FLEX_TOKENS_CREATE("/twilio/flex/tokens/create"),
  /** Validating and revoking Flex tokens. */
  FLEX_TOKENS_VALIDATE("/twilio/flex/tokens/validate"),
  /** Reading SSO profiles (never their client secrets). */
  SSO_PROFILES_READ("/twilio/flex/sso-profiles/read"),
  /** Creating, changing and deleting SSO profiles: who may sign in to Flex, and as whom. */
  SSO_PROFILES_MANAGE("/twilio/flex/sso-profiles/manage"),
  /** Reading the audit trail (Monitor Events). */
  EVENTS_READ("/twilio/monitor/events/read"),
  /**
   * Reading what API keys did (usage, suggested policies): a Callsign name, as Twilio has none.
   * Like the keys themselves, not for standard keys.
   */
  KEY_USAGE_READ("/twilio/iam/api-keys/usage/read");

  private static final Permission[] ALL = values();

  private final String policyName;
  private final String wireName;

  Permission(String policyName) {
    this.policyName = policyName;
    this.wireName =
        policyName != null ? policyName : name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /**
   * The name a restricted key's policy grants this permission by, or {@code null} when no policy
   * can grant it.
   */
  public String policyName() {
    return policyName;
  }

  /**
   * The name reports use: the policy name, or for a permission no policy can grant a Callsign name
   * such as {@code credentials-manage}.
   */
  public String wireName() {
    return wireName;
  }

  /** Whether a standard key holds this permission: all but managing and watching credentials. */
  public boolean standardKeysHold() {
    return this != CREDENTIALS_MANAGE && this != KEY_USAGE_READ;
  }

  /** The permission with this {@link #wireName()}, if any. */
  public static Optional<Permission> ofWireName(String name) {
    for (Permission p : ALL) {
      if (p.wireName().equals(name)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
