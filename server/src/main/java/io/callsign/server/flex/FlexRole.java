package io.callsign.server.flex;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * A role that Flex users hold: the permissions it grants and the Access Token grants the token
 * server gives for it.
 *
 * @param name the role's name: a built-in one or {@code [a-z][a-z0-9_-]{0,63}}
 * @param permissions what holding it allows, in order
 * @param grants the token server's grants for it
 * @param builtIn whether it is one of agent, supervisor, admin (which cannot be deleted and whose
 *     permissions are fixed)
 * @param dateCreated when it was stored, or {@code null} for a built-in role never configured
 * @param dateUpdated when it last changed, or {@code null} likewise
 */
public record FlexRole(
    String name,
    List<FlexPermission> permissions,
    RoleGrants grants,
    boolean builtIn,
    Instant dateCreated,
    Instant dateUpdated) {
  /** What a custom role's name must look like. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_-]{0,63}");

  private static final Map<String, List<FlexPermission>> BUILT_IN =
      Map.of(
          "agent",
          List.of(FlexPermission.SIGN_IN, FlexPermission.HANDLE_TASKS),
          "supervisor",
          List.of(FlexPermission.SIGN_IN, FlexPermission.HANDLE_TASKS, FlexPermission.MONITOR),
          "admin",
          List.of(
              FlexPermission.SIGN_IN,
              FlexPermission.HANDLE_TASKS,
              FlexPermission.MONITOR,
              FlexPermission.ADMINISTER));

  /** The built-in roles' names, in order of increasing power. */
  public static final List<String> BUILT_IN_NAMES = List.of("agent", "supervisor", "admin");

  /** Copies the list. */
  public FlexRole {
    permissions = List.copyOf(permissions);
  }

  /** The built-in role {@code name} as it is before anyone configures it, if it is one. */
  public static Optional<FlexRole> builtIn(String name) {
    List<FlexPermission> p = BUILT_IN.get(name);
    return p == null
        ? Optional.empty()
        : Optional.of(new FlexRole(name, p, RoleGrants.WORKER, true, null, null));
  }

  /** The permission codes, e.g. {@code ["FPN9999", "FPN0000"]}. */
  public List<String> permissionCodes() {
    return permissions.stream().map(FlexPermission::code).toList();
  }
}
