package io.callsign.server.http;

/**
 * What a call needs (DESIGN.md section 4). Auth tokens and main keys hold every permission;
 * standard keys all but {@link #CREDENTIALS_MANAGE}; restricted keys only those whose {@link
 * #policyName()} their policy lists.
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
  EVENTS_READ("/twilio/monitor/events/read");

  private final String policyName;

  Permission(String policyName) {
    this.policyName = policyName;
  }

  /**
   * The name a restricted key's policy grants this permission by, or {@code null} when no policy
   * can grant it.
   */
  public String policyName() {
    return policyName;
  }
}
