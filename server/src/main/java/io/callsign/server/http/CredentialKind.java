package io.callsign.server.http;

import io.callsign.server.keys.KeyType;

/** Which credential proved a request, and so what it may do (DESIGN.md section 4). */
public enum CredentialKind {
  AUTH_TOKEN,
  MAIN_KEY,
  STANDARD_KEY,
  RESTRICTED_KEY;

  // Computed once: the audit trail names the kind of every authenticated request.
  private final String wire = name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');

  /** How the audit trail names it, e.g. {@code main-key}. */
  public String wire() {
    return wire;
  }

  /** The kind of a key of {@code type}. */
  public static CredentialKind of(KeyType type) {
    return switch (type) {
      case MAIN -> MAIN_KEY;
      case STANDARD -> STANDARD_KEY;
      case RESTRICTED -> RESTRICTED_KEY;
    };
  }
}
