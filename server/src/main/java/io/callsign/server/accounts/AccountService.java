package io.callsign.server.accounts;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.crypto.SecretFiles;
import io.callsign.tokens.sid.AccountSid;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Account logic: the root account's bootstrap and lookups. No HTTP types. */
public final class AccountService {
  /** The file, inside the data directory, where generated root credentials are written. */
  public static final String CREDENTIALS_FILE = "credentials.env";

  private static final Logger LOG = LoggerFactory.getLogger(AccountService.class);
  static final String SID_VAR = "CALLSIGN_ACCOUNT_SID";
  private static final String ACCOUNT = "account";
  private static final String AUTH_TOKEN = "auth-token";
  static final String TOKEN_VAR = "CALLSIGN_AUTH_TOKEN";

  private final AccountStore store;
  private final Clock clock;
  private final Audit audit;
  private final List<Consumer<AccountSid>> onChange = new ArrayList<>();

  /** A service over {@code store}, stamping times from {@code clock}, with no audit trail. */
  public AccountService(AccountStore store, Clock clock) {
    this(store, clock, Audit.NONE);
  }

  /**
   * A service over {@code store}, stamping times from {@code clock}, recording every change in
   * {@code audit} in the change's transaction.
   */
  public AccountService(AccountStore store, Clock clock, Audit audit) {
    this.store = store;
    this.clock = clock;
    this.audit = audit;
  }

  private NewEvent event(
      AccountSid account, String type, String resourceType, String what, Map<String, Object> data) {
    return NewEvent.byCaller(
        account.value(), type, account.value(), resourceType, what, data, clock.instant());
  }

  /**
   * Registers {@code listener} to run after an account's credentials or status change on this node
   * (e.g. to drop it from an authentication cache at once). Call while wiring, before serving.
   */
  public void onChange(Consumer<AccountSid> listener) {
    onChange.add(listener);
  }

  private void changed(AccountSid sid) {
    onChange.forEach(l -> l.accept(sid));
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  /** The account with this SID, if any. */
  public Optional<Account> find(AccountSid sid) {
    return store.find(sid);
  }

  /**
   * {@code target} if {@code caller} may act on it: its own account, or one of its subaccounts.
   * Anything else, a parent or a sibling included, is empty, so that callers answer 404 and
   * accounts cannot be probed.
   */
  public Optional<Account> visibleTo(Account caller, AccountSid target) {
    if (caller.sid().equals(target)) {
      return Optional.of(caller);
    }
    return find(target).filter(a -> !a.isMain() && a.ownerAccountSid().equals(caller.sid()));
  }

  // What an account event says; the name may be null.
  private static Map<String, Object> nameAndStatus(String friendlyName, AccountStatus status) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("friendly_name", friendlyName);
    if (status != null) {
      data.put("status", status.wire());
    }
    return data;
  }

  /**
   * Gives {@code sid} a new secondary auth token, replacing any previous one (which stops
   * authenticating at once on this node).
   *
   * @return the account with its new secondary token; empty when there is no such account
   */
  public Optional<Account> createSecondaryAuthToken(AccountSid sid) {
    boolean set =
        audit.atomically(
            () -> store.setSecondaryAuthToken(sid, RootCredentials.newAuthToken(), now()),
            done ->
                done
                    ? event(
                        sid,
                        "secondary-auth-token.created",
                        AUTH_TOKEN,
                        "Secondary auth token created",
                        Map.of())
                    : null);
    if (!set) {
      return Optional.empty();
    }
    changed(sid);
    return store.find(sid);
  }

  /** Removes the secondary auth token of {@code sid}; false when it has none. */
  public boolean deleteSecondaryAuthToken(AccountSid sid) {
    boolean deleted =
        audit.atomically(
            () -> store.clearSecondaryAuthToken(sid, now()),
            done ->
                done
                    ? event(
                        sid,
                        "secondary-auth-token.deleted",
                        AUTH_TOKEN,
                        "Secondary auth token deleted",
                        Map.of())
                    : null);
    if (deleted) {
      changed(sid);
    }
    return deleted;
  }

  /**
   * Makes the secondary auth token of {@code sid} its auth token; the previous one stops
   * authenticating at once on this node.
   *
   * @return the promotion (the new primary token and when it was created); empty when the account
   *     has no secondary auth token
   */
  public Optional<Promotion> promoteSecondaryAuthToken(AccountSid sid) {
    Optional<Account> before = store.find(sid);
    if (before.isEmpty() || before.get().secondaryAuthToken() == null) {
      return Optional.empty();
    }
    Instant tokenCreated = before.get().secondaryDateCreated();
    boolean promoted =
        audit.atomically(
            () -> store.promoteSecondaryAuthToken(sid, now()),
            done ->
                done
                    ? event(
                        sid,
                        "auth-token.promoted",
                        AUTH_TOKEN,
                        "Secondary auth token promoted; the previous auth token stops working",
                        Map.of())
                    : null);
    if (!promoted) {
      return Optional.empty();
    }
    changed(sid);
    return store.find(sid).map(a -> new Promotion(a, tokenCreated));
  }

  /**
   * The promoted auth token.
   *
   * @param account the account after promotion ({@code authToken()} is the promoted token)
   * @param tokenCreated when the promoted token was created (as a secondary token)
   */
  public record Promotion(Account account, Instant tokenCreated) {}

  /** Creates a subaccount of {@code owner}, with a fresh auth token. */
  public Account createSubaccount(AccountSid owner, String friendlyName) {
    Instant now = now();
    Account sub =
        new Account(
            AccountSid.random(),
            owner,
            friendlyName,
            AccountStatus.ACTIVE,
            Account.TYPE_FULL,
            RootCredentials.newAuthToken(),
            now,
            now);
    return audit.atomically(
        () -> {
          store.insert(sub);
          return sub;
        },
        a ->
            NewEvent.byCaller(
                owner.value(),
                "account.created",
                a.sid().value(),
                ACCOUNT,
                "Subaccount created",
                nameAndStatus(friendlyName, null),
                clock.instant()));
  }

  /**
   * {@code owner} and its subaccounts, oldest first, optionally filtered by exact friendly name and
   * status.
   */
  public List<Account> listFamily(AccountSid owner, String friendlyName, AccountStatus status) {
    return store.listFamily(owner, friendlyName, status);
  }

  /**
   * Sets the friendly name and status of {@code account}. Suspending or closing it stops its
   * credentials (and its keys') from authenticating at once on this node.
   *
   * @return the updated account; empty when it is closed (closing is final)
   */
  public Optional<Account> update(Account account, String friendlyName, AccountStatus status) {
    boolean updated =
        audit.atomically(
            () -> store.update(account.sid(), friendlyName, status, now()),
            done ->
                done
                    ? event(
                        account.sid(),
                        "account.updated",
                        ACCOUNT,
                        "Account updated",
                        nameAndStatus(friendlyName, status))
                    : null);
    if (!updated) {
      return Optional.empty();
    }
    changed(account.sid());
    return store.find(account.sid());
  }

  /**
   * Makes sure the root account exists. On first start it is created from {@code envSid} and {@code
   * envToken} when both are given, else from {@code dataDir/credentials.env} when a previous start
   * wrote it, else from a generated pair that is first written to that file (mode 0600). Later
   * starts leave everything as it is.
   *
   * @throws IllegalArgumentException if only one of the variables is set, or either is malformed,
   *     or they name a different account than the one already stored
   */
  public Bootstrap bootstrap(String envSid, String envToken, Path dataDir) throws IOException {
    if ((envSid == null) != (envToken == null)) {
      throw new IllegalArgumentException(
          "set both " + SID_VAR + " and " + TOKEN_VAR + ", or neither (then they are generated)");
    }
    Optional<RootCredentials> given =
        envSid == null
            ? Optional.empty()
            : Optional.of(RootCredentials.parse(envSid, envToken, SID_VAR, TOKEN_VAR));
    Path file = dataDir.resolve(CREDENTIALS_FILE);

    Optional<Account> existing = store.findRoot();
    if (existing.isPresent()) {
      Account root = existing.get();
      given.ifPresent(g -> checkMatches(g, root));
      return new Bootstrap(root, false, given.isPresent() ? null : existingFile(file));
    }

    RootCredentials creds;
    Path written = null;
    if (given.isPresent()) {
      creds = given.get();
    } else {
      // The file is written before the row: a crash in between leaves credentials that the next
      // start reuses, never an account whose token nobody has seen.
      Optional<RootCredentials> previous = readCredentialsFile(file);
      creds = previous.orElseGet(RootCredentials::generate);
      if (previous.isEmpty()) {
        SecretFiles.writeOwnerOnly(file, format(creds));
      }
      written = file;
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Account root =
        new Account(
            creds.sid(),
            creds.sid(),
            "Root account",
            AccountStatus.ACTIVE,
            Account.TYPE_FULL,
            creds.authToken(),
            now,
            now);
    store.insert(root);
    LOG.info("Created the root account {}", root.sid());
    return new Bootstrap(root, true, written);
  }

  /**
   * Sets {@code name=value} in the credentials file that {@code bootstrap} wrote or found
   * (replacing an earlier value, appending otherwise), e.g. the root account's Flex instance. Does
   * nothing when the credentials came from the environment or the line is already there.
   */
  public static void recordInCredentialsFile(Bootstrap bootstrap, String name, String value)
      throws IOException {
    Path file = bootstrap.credentialsFile();
    if (file == null || !Files.exists(file)) {
      return;
    }
    String line = name + "=" + value;
    List<String> lines = new ArrayList<>(Files.readAllLines(file, StandardCharsets.UTF_8));
    if (lines.contains(line)) {
      return;
    }
    lines.removeIf(l -> l.startsWith(name + "="));
    lines.add(line);
    SecretFiles.writeOwnerOnly(file, String.join("\n", lines) + "\n");
  }

  private static void checkMatches(RootCredentials given, Account root) {
    if (!given.sid().equals(root.sid())) {
      throw new IllegalArgumentException(
          SID_VAR
              + " names "
              + given.sid()
              + " but this data directory's root account is "
              + root.sid()
              + ": unset the variables or use a fresh data directory");
    }
    if (!given.authToken().equals(root.authToken())) {
      // The stored token wins: it may have been rotated since the variables were set.
      LOG.warn(
          "{} differs from the root account's stored auth token; the stored one stays in force",
          TOKEN_VAR);
    }
  }

  private static Path existingFile(Path file) {
    return Files.exists(file) ? file : null;
  }

  static String format(RootCredentials c) {
    return "# Callsign root account. Keep this file secret.\n"
        + "TWILIO_ACCOUNT_SID="
        + c.sid()
        + "\nTWILIO_AUTH_TOKEN="
        + c.authToken()
        + "\n";
  }

  private static Optional<RootCredentials> readCredentialsFile(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    Map<String, String> vars = new HashMap<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      int eq = line.indexOf('=');
      if (!line.startsWith("#") && eq > 0) {
        vars.put(line.substring(0, eq).trim(), line.substring(eq + 1).trim());
      }
    }
    String where = file.toString();
    return Optional.of(
        RootCredentials.parse(
            vars.get("TWILIO_ACCOUNT_SID"),
            vars.get("TWILIO_AUTH_TOKEN"),
            "TWILIO_ACCOUNT_SID in " + where,
            "TWILIO_AUTH_TOKEN in " + where));
  }

  /**
   * What {@link #bootstrap} found or did.
   *
   * @param root the root account
   * @param created whether it was created by this start
   * @param credentialsFile the credentials.env holding its credentials, or {@code null} when they
   *     came from the environment
   */
  public record Bootstrap(Account root, boolean created, Path credentialsFile) {}
}
