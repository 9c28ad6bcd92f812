package io.callsign.server.cluster;

import java.util.Optional;

/**
 * What kind of cached entry a logged change names, as the {@code kind} column of {@code
 * cluster_changes} and the notification payload spell it (migration V10).
 */
public enum ChangeKind {
  /** An account row: its tokens or status. The entry is its {@code AC} SID. */
  ACCOUNT("account"),
  /** An API key row: created, renamed, re-policied, deleted. The entry is its {@code SK} SID. */
  KEY("key"),
  /** A Flex user: deprovisioned, updated, given a password. The entry is its {@code FU} SID. */
  FLEX_USER("flex-user"),
  /** A Flex role of an instance: the permissions of its users. The entry is the {@code GO} SID. */
  FLEX_ROLE("flex-role"),
  /** A Flex token revocation. The entry is the token's {@code jti}. */
  FLEX_TOKEN("flex-token");

  private final String wire;

  ChangeKind(String wire) {
    this.wire = wire;
  }

  /** The name in the change log and in notifications. */
  public String wire() {
    return wire;
  }

  /** The kind named {@code wire}, if it is one. */
  public static Optional<ChangeKind> ofWire(String wire) {
    for (ChangeKind k : values()) {
      if (k.wire.equals(wire)) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }
}
