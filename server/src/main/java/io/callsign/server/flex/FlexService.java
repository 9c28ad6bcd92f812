package io.callsign.server.flex;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.WorkerSid;
import java.text.Normalizer;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Flex instances, their users and roles. No HTTP types. Input that breaks a rule is refused with
 * 400/20001 naming the field, before anything is written.
 */
public final class FlexService {
  /** The most roles one user may hold. */
  public static final int MAX_ROLES = 20;

  /** The most characters of a worker's attributes (a JSON object's text). */
  public static final int MAX_ATTRIBUTES = 16_384;

  private static final int MAX_TTL = 86_400;
  private static final int ATTEMPTS = 5;

  private static final String USER = "flex-user";
  private static final String ROLE = "flex-role";

  private final FlexStore store;
  private final Clock clock;
  private final Audit audit;
  private final List<Consumer<FlexUserSid>> onUserChange = new ArrayList<>();

  /** A service over {@code store}, stamping times from {@code clock}, with no audit trail. */
  public FlexService(FlexStore store, Clock clock) {
    this(store, clock, Audit.NONE);
  }

  /**
   * A service over {@code store}, stamping times from {@code clock}, recording every change in
   * {@code audit} in the change's transaction.
   */
  public FlexService(FlexStore store, Clock clock, Audit audit) {
    this.store = store;
    this.clock = clock;
    this.audit = audit;
  }

  private NewEvent userEvent(FlexUser u, String type, String what) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("username", u.username());
    data.put("roles", u.roles());
    data.put("instance_sid", u.instanceSid().value());
    return NewEvent.byCaller(
        u.accountSid().value(), type, u.sid().value(), USER, what, data, clock.instant());
  }

  private NewEvent roleEvent(FlexInstance i, FlexRole r, String type, String what) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("instance_sid", i.sid().value());
    data.put("permissions", r.permissionCodes());
    data.put("grants", r.grants().toJson());
    return NewEvent.byCaller(
        i.accountSid().value(), type, r.name(), ROLE, what, data, clock.instant());
  }

  /**
   * Registers {@code listener} to run after a user changes on this node (e.g. to drop it from a
   * token-validation cache at once). Call while wiring, before serving.
   */
  public void onUserChange(Consumer<FlexUserSid> listener) {
    onUserChange.add(listener);
  }

  private void changed(FlexUserSid sid) {
    onUserChange.forEach(l -> l.accept(sid));
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  /** Gives every account that has no Flex instance one; returns how many were created. */
  public int createMissingInstances() {
    return store.createMissingInstances(now());
  }

  /** The instance with this SID, if any. */
  public Optional<FlexInstance> instance(FlexInstanceSid sid) {
    return store.findInstance(sid);
  }

  /** The instance of {@code account}, if any. */
  public Optional<FlexInstance> instanceOf(AccountSid account) {
    return store.findInstanceOf(account);
  }

  /**
   * Sets the lifetime of the Access Tokens that {@code instance}'s token server issues.
   *
   * @throws ApiException 400/20001 unless 1..86400 seconds
   */
  public FlexInstance setTokenTtl(FlexInstance instance, long ttl) {
    if (ttl < 1 || ttl > MAX_TTL) {
      throw new ApiException(
          ApiError.invalidParameter("token_server_ttl", "1 to " + MAX_TTL + " seconds"));
    }
    audit.atomically(
        () -> store.updateTokenTtl(instance.sid(), (int) ttl, now()),
        done ->
            NewEvent.byCaller(
                instance.accountSid().value(),
                "flex-instance.updated",
                instance.sid().value(),
                "flex-instance",
                "Flex instance updated",
                Map.of("token_server_ttl", ttl),
                clock.instant()));
    return store.findInstance(instance.sid()).orElseThrow();
  }

  /**
   * Records {@code key} as the API key that {@code instance}'s token server signs with, if the
   * stored one is still {@code expected} ({@code null} before the first); false when another
   * request changed it first.
   */
  public boolean replaceTokenServerKey(FlexInstance instance, KeySid expected, KeySid key) {
    return store.replaceTokenServerKey(instance.sid(), expected, key, now());
  }

  // ---------------------------------------------------------------------------------- users

  /**
   * What provisioning asks for.
   *
   * @param username 1..256 characters, no control characters
   * @param email 3..320 characters with an {@code @}
   * @param fullName 1..256 characters
   * @param roles 1..{@value #MAX_ROLES} known roles
   * @param workerAttributes the worker's attributes (a JSON object's text), or {@code null} for
   *     {@code {}}
   * @param locale the user's locale, or {@code null}
   */
  public record Provision(
      String username,
      String email,
      String fullName,
      List<String> roles,
      String workerAttributes,
      String locale) {}

  /**
   * The outcome of provisioning.
   *
   * @param user the user as it now is
   * @param created whether it was created (else it existed and was updated, or left as it was)
   */
  public record Provisioned(FlexUser user, boolean created) {}

  /**
   * Creates the user, or brings the existing one with the same username (case aside) up to date,
   * reactivating it with a new worker if it was deprovisioned. Idempotent: provisioning the same
   * user twice changes nothing the second time.
   */
  public Provisioned provision(FlexInstance instance, Provision p) {
    String username = checkUsername(p.username());
    String email = checkEmail(p.email());
    String fullName = checkText("full_name", p.fullName(), 256);
    List<String> roles = checkRoles(instance, p.roles());
    String attributes = checkAttributes(p.workerAttributes());
    String locale = checkLocale(p.locale());
    String key = usernameKey(username);
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<FlexUser> existing = store.findUserByUsernameKey(instance.sid(), key);
      if (existing.isEmpty()) {
        Optional<FlexUser> created =
            insertNew(instance, username, key, email, fullName, roles, attributes, locale);
        if (created.isPresent()) {
          return new Provisioned(created.get(), true);
        }
        continue; // provisioned concurrently: update that one instead
      }
      FlexUser u = existing.get();
      boolean reactivate = u.deactivated();
      FlexUser next =
          new FlexUser(
              u.sid(),
              u.instanceSid(),
              u.accountSid(),
              u.username(),
              email,
              fullName,
              locale,
              roles,
              reactivate ? WorkerSid.random() : u.workerSid(),
              attributes,
              u.passwordHash(),
              null,
              u.tokenGeneration(),
              u.version() + 1,
              u.dateCreated(),
              now());
      if (sameFields(u, next)) {
        return new Provisioned(u, false);
      }
      if (audit.atomically(
          () -> store.updateUser(next, u.version()),
          done ->
              done
                  ? userEvent(
                      next,
                      reactivate ? "flex-user.reactivated" : "flex-user.updated",
                      reactivate ? "Flex user provisioned again" : "Flex user updated")
                  : null)) {
        changed(u.sid());
        return new Provisioned(next, false);
      }
    }
    throw new ApiException(ApiError.ofStatus(409, "The user changed concurrently; try again"));
  }

  /**
   * Creates the user only if no user of {@code instance} has its username (case aside): unlike
   * {@link #provision}, an existing user is never changed. Single sign-on creates users this way,
   * so that a provider's user can never take over a user of the same name.
   *
   * @return the new user, or empty when the username is taken
   * @throws ApiException 400/20001 naming the field that breaks a rule, as {@link #provision}
   */
  public Optional<FlexUser> provisionNew(FlexInstance instance, Provision p) {
    String username = checkUsername(p.username());
    return insertNew(
        instance,
        username,
        usernameKey(username),
        checkEmail(p.email()),
        checkText("full_name", p.fullName(), 256),
        checkRoles(instance, p.roles()),
        checkAttributes(p.workerAttributes()),
        checkLocale(p.locale()));
  }

  // A new user with a new worker, recorded with its event; empty when the username key is taken.
  private Optional<FlexUser> insertNew(
      FlexInstance instance,
      String username,
      String key,
      String email,
      String fullName,
      List<String> roles,
      String attributes,
      String locale) {
    Instant now = now();
    FlexUser user =
        new FlexUser(
            FlexUserSid.random(),
            instance.sid(),
            instance.accountSid(),
            username,
            email,
            fullName,
            locale,
            roles,
            WorkerSid.random(),
            attributes,
            null,
            null,
            0,
            0,
            now,
            now);
    boolean inserted =
        audit.atomically(
            () -> store.insertUser(user, key),
            done ->
                done ? userEvent(user, "flex-user.provisioned", "Flex user provisioned") : null);
    return inserted ? Optional.of(user) : Optional.empty();
  }

  private static boolean sameFields(FlexUser a, FlexUser b) {
    return !a.deactivated()
        && a.email().equals(b.email())
        && a.fullName().equals(b.fullName())
        && Objects.equals(a.locale(), b.locale())
        && a.roles().equals(b.roles())
        && a.workerAttributes().equals(b.workerAttributes());
  }

  /**
   * What an update changes; {@code null} fields stay as they are.
   *
   * @param email the new email, or {@code null}
   * @param fullName the new full name, or {@code null}
   * @param roles the new roles, or {@code null}
   * @param workerAttributes the worker's new attributes, or {@code null}
   * @param locale the new locale, or {@code null}
   */
  public record Update(
      String email, String fullName, List<String> roles, String workerAttributes, String locale) {}

  /** Applies {@code u} to the user; empty when {@code instance} has no such user. */
  public Optional<FlexUser> update(FlexInstance instance, FlexUserSid sid, Update u) {
    String email = u.email() == null ? null : checkEmail(u.email());
    String fullName = u.fullName() == null ? null : checkText("full_name", u.fullName(), 256);
    List<String> roles = u.roles() == null ? null : checkRoles(instance, u.roles());
    String attributes = u.workerAttributes() == null ? null : checkAttributes(u.workerAttributes());
    String locale = u.locale() == null ? null : checkLocale(u.locale());
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<FlexUser> found = user(instance, sid);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      FlexUser c = found.get();
      FlexUser next =
          new FlexUser(
              c.sid(),
              c.instanceSid(),
              c.accountSid(),
              c.username(),
              email == null ? c.email() : email,
              fullName == null ? c.fullName() : fullName,
              locale == null ? c.locale() : locale,
              roles == null ? c.roles() : roles,
              c.workerSid(),
              attributes == null ? c.workerAttributes() : attributes,
              c.passwordHash(),
              c.deactivatedDate(),
              c.tokenGeneration(),
              c.version() + 1,
              c.dateCreated(),
              now());
      if (sameFields(c, next)) {
        return Optional.of(c);
      }
      if (audit.atomically(
          () -> store.updateUser(next, c.version()),
          done -> done ? userEvent(next, "flex-user.updated", "Flex user updated") : null)) {
        changed(sid);
        return Optional.of(next);
      }
    }
    throw new ApiException(ApiError.ofStatus(409, "The user changed concurrently; try again"));
  }

  /**
   * Deactivates the user and deletes its worker; every Flex token issued to it stops validating at
   * once. The record stays. Deprovisioning a deactivated user changes nothing.
   *
   * @return false when {@code instance} has no such user
   */
  public boolean deprovision(FlexInstance instance, FlexUserSid sid) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<FlexUser> found = user(instance, sid);
      if (found.isEmpty()) {
        return false;
      }
      FlexUser c = found.get();
      if (c.deactivated()) {
        return true;
      }
      Instant now = now();
      FlexUser next =
          new FlexUser(
              c.sid(),
              c.instanceSid(),
              c.accountSid(),
              c.username(),
              c.email(),
              c.fullName(),
              c.locale(),
              c.roles(),
              null,
              c.workerAttributes(),
              c.passwordHash(),
              now,
              c.tokenGeneration() + 1,
              c.version() + 1,
              c.dateCreated(),
              now);
      if (audit.atomically(
          () -> store.updateUser(next, c.version()),
          done ->
              done
                  ? userEvent(
                      next,
                      "flex-user.deprovisioned",
                      "Flex user deprovisioned; its tokens are revoked")
                  : null)) {
        changed(sid);
        return true;
      }
    }
    throw new ApiException(ApiError.ofStatus(409, "The user changed concurrently; try again"));
  }

  /** The user {@code sid} if it belongs to {@code instance}. */
  public Optional<FlexUser> user(FlexInstance instance, FlexUserSid sid) {
    return store.findUser(sid).filter(u -> u.instanceSid().equals(instance.sid()));
  }

  /** The user with this SID, whatever its instance (for token validation). */
  public Optional<FlexUser> user(FlexUserSid sid) {
    return store.findUser(sid);
  }

  /** The user of {@code instance} called {@code username}, case aside, if any. */
  public Optional<FlexUser> userByUsername(FlexInstance instance, String username) {
    return store.findUserByUsernameKey(instance.sid(), usernameKey(username));
  }

  /**
   * One page of users, in order of username (case aside).
   *
   * @param after the last username key of the previous page, or {@code null}
   * @param before the first username key of the next page (to go back), or {@code null}
   */
  public UserPage users(FlexInstance instance, String after, String before, int pageSize) {
    List<FlexUser> rows = store.pageUsers(instance.sid(), after, before, pageSize + 1);
    // One extra row tells whether there is more in the direction of travel.
    boolean more = rows.size() > pageSize;
    if (before != null) {
      List<FlexUser> page = more ? rows.subList(1, rows.size()) : rows;
      return new UserPage(page, true, more);
    }
    return new UserPage(more ? rows.subList(0, pageSize) : rows, more, after != null);
  }

  /**
   * One page of users.
   *
   * @param users the users, in order
   * @param hasNext whether users follow the last one
   * @param hasPrevious whether users precede the first one
   */
  public record UserPage(List<FlexUser> users, boolean hasNext, boolean hasPrevious) {}

  /**
   * Sets or (with {@code null}) removes the user's password hash.
   *
   * @return false when {@code instance} has no such user
   */
  public boolean setPasswordHash(FlexInstance instance, FlexUserSid sid, String hash) {
    Optional<FlexUser> u = user(instance, sid);
    if (u.isEmpty()
        || !audit.atomically(
            () -> store.setPasswordHash(sid, hash, now()),
            done ->
                done
                    ? userEvent(
                        u.get(),
                        hash == null ? "flex-user.password-removed" : "flex-user.password-set",
                        hash == null
                            ? "Token-server password removed"
                            : "Token-server password set")
                    : null)) {
      return false;
    }
    changed(sid);
    return true;
  }

  /**
   * The key users are unique and looked up by: the username in Unicode NFC, lower-cased, so that
   * {@code Alice} and {@code alice} are one user.
   */
  public static String usernameKey(String username) {
    return Normalizer.normalize(username, Normalizer.Form.NFC).toLowerCase(Locale.ROOT);
  }

  private static String checkUsername(String username) {
    String u = checkText("username", username, 256);
    if (!u.equals(u.strip())) {
      throw new ApiException(
          ApiError.invalidParameter("username", "no leading or trailing spaces"));
    }
    return u;
  }

  private static String checkEmail(String email) {
    String e = checkText("email", email, 320);
    int at = e.indexOf('@');
    if (at < 1 || at == e.length() - 1 || e.chars().anyMatch(Character::isWhitespace)) {
      throw new ApiException(ApiError.invalidParameter("email", "not an email address"));
    }
    return e;
  }

  private static String checkLocale(String locale) {
    if (locale == null) {
      return null;
    }
    if (!locale.matches("[A-Za-z]{2,8}([-_][A-Za-z0-9]{1,8}){0,3}")) {
      throw new ApiException(ApiError.invalidParameter("locale", "a language tag such as en-US"));
    }
    return locale;
  }

  private static String checkText(String name, String value, int max) {
    if (value == null || value.isBlank()) {
      throw new ApiException(ApiError.missingParameter(name));
    }
    if (value.length() > max) {
      throw new ApiException(ApiError.invalidParameter(name, "at most " + max + " characters"));
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw new ApiException(ApiError.invalidParameter(name, "no control characters"));
    }
    return value;
  }

  private static String checkAttributes(String attributes) {
    if (attributes == null) {
      return "{}";
    }
    if (attributes.length() > MAX_ATTRIBUTES) {
      throw new ApiException(
          ApiError.invalidParameter(
              "worker.attributes", "at most " + MAX_ATTRIBUTES + " characters of JSON"));
    }
    return attributes;
  }

  private List<String> checkRoles(FlexInstance instance, List<String> roles) {
    if (roles == null || roles.isEmpty()) {
      throw new ApiException(ApiError.missingParameter("roles"));
    }
    Set<String> unique = new LinkedHashSet<>(roles);
    if (unique.size() > MAX_ROLES) {
      throw new ApiException(ApiError.invalidParameter("roles", "at most " + MAX_ROLES));
    }
    Set<String> known = roles(instance).stream().map(FlexRole::name).collect(Collectors.toSet());
    for (String r : unique) {
      if (!known.contains(r)) {
        throw new ApiException(
            ApiError.invalidParameter(
                "roles",
                "unknown role '" + ApiError.printable(r) + "'; create it under Roles first"));
      }
    }
    return List.copyOf(unique);
  }

  // ---------------------------------------------------------------------------------- roles

  /** Every role of {@code instance}: the built-in ones first, then custom ones by name. */
  public List<FlexRole> roles(FlexInstance instance) {
    Map<String, FlexRole> stored = new TreeMap<>();
    store.listRoles(instance.sid()).forEach(r -> stored.put(r.name(), r));
    List<FlexRole> out = new ArrayList<>();
    for (String name : FlexRole.BUILT_IN_NAMES) {
      FlexRole r = stored.remove(name);
      out.add(r != null ? r : FlexRole.builtIn(name).orElseThrow());
    }
    out.addAll(stored.values());
    return out;
  }

  /** The role {@code name} of {@code instance}, if it exists. */
  public Optional<FlexRole> role(FlexInstance instance, String name) {
    Optional<FlexRole> stored = store.findRole(instance.sid(), name);
    return stored.isPresent() ? stored : FlexRole.builtIn(name);
  }

  /**
   * The permission codes that {@code roles} grant together, each once, in the order the roles and
   * their permissions list them. Roles that no longer exist grant nothing.
   */
  public List<String> permissionCodes(FlexInstance instance, List<String> roles) {
    Set<String> codes = new LinkedHashSet<>();
    for (String name : roles) {
      role(instance, name).ifPresent(r -> codes.addAll(r.permissionCodes()));
    }
    return List.copyOf(codes);
  }

  /**
   * Creates a custom role.
   *
   * @throws ApiException 400/20001 for a bad name or permission, 409/20409 when it exists
   */
  public FlexRole createRole(
      FlexInstance instance, String name, List<String> permissionCodes, RoleGrants grants) {
    if (name == null || name.isEmpty()) {
      throw new ApiException(ApiError.missingParameter("name"));
    }
    if (!FlexRole.NAME.matcher(name).matches()) {
      throw new ApiException(
          ApiError.invalidParameter(
              "name", "a lower-case letter, then up to 63 of a-z, 0-9, '_' and '-'"));
    }
    if (role(instance, name).isPresent()) {
      throw new ApiException(ApiError.ofStatus(409, "Role " + name + " already exists"));
    }
    if (permissionCodes == null) {
      throw new ApiException(ApiError.missingParameter("permissions"));
    }
    Instant now = now();
    FlexRole role =
        new FlexRole(
            name,
            permissions(permissionCodes),
            grants == null ? RoleGrants.NONE : grants,
            false,
            now,
            now);
    audit.atomically(
        () -> {
          store.saveRole(instance.sid(), role);
          return role;
        },
        r -> roleEvent(instance, r, "flex-role.created", "Flex role created"));
    return role;
  }

  /**
   * Changes a role's permissions (custom roles only) and grants, each unless {@code null}; empty
   * when there is no such role.
   */
  public Optional<FlexRole> updateRole(
      FlexInstance instance, String name, List<String> permissionCodes, RoleGrants grants) {
    Optional<FlexRole> found = role(instance, name);
    if (found.isEmpty()) {
      return Optional.empty();
    }
    FlexRole r = found.get();
    List<FlexPermission> permissions = r.permissions();
    if (permissionCodes != null) {
      permissions = permissions(permissionCodes);
      if (r.builtIn() && !permissions.equals(r.permissions())) {
        throw new ApiException(
            ApiError.invalidParameter(
                "permissions", "a built-in role's permissions are fixed; create a custom role"));
      }
    }
    Instant now = now();
    FlexRole next =
        new FlexRole(
            name,
            permissions,
            grants == null ? r.grants() : grants,
            r.builtIn(),
            r.dateCreated() == null ? now : r.dateCreated(),
            now);
    audit.atomically(
        () -> {
          store.saveRole(instance.sid(), next);
          return next;
        },
        saved -> roleEvent(instance, saved, "flex-role.updated", "Flex role updated"));
    return Optional.of(next);
  }

  /**
   * Deletes a custom role.
   *
   * @return false when there is no such role
   * @throws ApiException 400/20001 for a built-in role, 409/20409 while active users hold it
   */
  public boolean deleteRole(FlexInstance instance, String name) {
    if (FlexRole.builtIn(name).isPresent()) {
      throw new ApiException(ApiError.invalidParameter("name", "built-in roles cannot be deleted"));
    }
    Optional<FlexRole> stored = store.findRole(instance.sid(), name);
    if (stored.isEmpty()) {
      return false;
    }
    int holders = store.countActiveUsersWithRole(instance.sid(), name);
    if (holders > 0) {
      throw new ApiException(
          ApiError.ofStatus(
              409,
              "Role " + name + " is held by " + holders + " active user(s); change them first"));
    }
    return audit.atomically(
        () -> store.deleteRole(instance.sid(), name),
        done ->
            done
                ? roleEvent(instance, stored.get(), "flex-role.deleted", "Flex role deleted")
                : null);
  }

  private static List<FlexPermission> permissions(List<String> codes) {
    if (codes.isEmpty()) {
      throw new ApiException(ApiError.invalidParameter("permissions", "at least one"));
    }
    Set<FlexPermission> out = new LinkedHashSet<>();
    for (String code : codes) {
      out.add(
          FlexPermission.ofCode(code)
              .orElseThrow(
                  () ->
                      new ApiException(
                          ApiError.invalidParameter(
                              "permissions", "unknown code '" + ApiError.printable(code) + "'"))));
    }
    return List.copyOf(out);
  }
}
