package io.callsign.cli;

import io.callsign.server.audit.AuditLog;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.console.ConsoleService;
import io.callsign.server.console.ConsoleUser;
import io.callsign.server.console.JdbiConsoleStore;
import io.callsign.server.crypto.PasswordHasher;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.http.ApiException;
import io.callsign.server.store.Database;
import io.callsign.server.throttle.LocalLoginThrottle;
import io.callsign.server.throttle.ThrottlePolicy;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code callsign console-user add|list}: the web console's users, straight in the database. */
@Command(
    name = "console-user",
    mixinStandardHelpOptions = true,
    description = "Adds or lists web console users (the server may keep running).",
    subcommands = {ConsoleUserCommand.Add.class, ConsoleUserCommand.ListUsers.class})
final class ConsoleUserCommand {
  private ConsoleUserCommand() {}

  /** The database and service of an installation, closed together. */
  private record Opened(Database database, ConsoleService console) implements AutoCloseable {
    static Opened of(DatabaseOptions options, CommandSpec spec) {
      SecretBox box;
      try {
        box = SecretBox.openExisting(System.getenv("CALLSIGN_MASTER_KEYSET"), options.dataDir);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (IllegalStateException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      Database database = options.open(spec);
      try {
        database.migrate();
        Clock clock = Clock.systemUTC();
        ConsoleService console =
            new ConsoleService(
                new JdbiConsoleStore(database.jdbi(), box),
                PasswordHasher.standard(),
                new LocalLoginThrottle(ThrottlePolicy.DEFAULT, clock),
                clock,
                // Changes made here are recorded like any other, in the same transaction (which
                // needs no background writer: nothing here is queued).
                new AuditLog(new JdbiAuditStore(database.jdbi()), 1),
                null,
                box);
        return new Opened(database, console);
      } catch (RuntimeException e) {
        database.close();
        throw e;
      }
    }

    @Override
    public void close() {
      database.close();
    }
  }

  private static AccountSid account(ConsoleService console, String raw, CommandSpec spec) {
    if (raw == null) {
      return console.defaultAccount();
    }
    if (!Sids.isValid(AccountSid.PREFIX, raw)) {
      throw new CommandLine.ParameterException(
          spec.commandLine(), "--account-sid: not an account SID (AC + 32 hex digits)");
    }
    return AccountSid.of(raw);
  }

  /** {@code callsign console-user add}: a new user, with a one-time sign-up link. */
  @Command(
      name = "add",
      mixinStandardHelpOptions = true,
      description = {
        "Adds a console user and prints a one-time sign-up link (valid 24 hours) where they choose"
            + " a password and set up their authenticator app.",
        "With --password-stdin the password is read from standard input instead, and the"
            + " authenticator is set up at the first sign-in."
      })
  static final class Add implements Callable<Integer> {
    @Mixin DatabaseOptions data = new DatabaseOptions();
    @Spec CommandSpec spec;

    @Option(names = "--email", required = true, paramLabel = "ADDRESS", description = "Email.")
    String email;

    @Option(
        names = "--account-sid",
        paramLabel = "AC...",
        description = "The account the user administers (default: the only main account).")
    String accountSid;

    @Option(
        names = "--password-stdin",
        description = "Read the password from the first line of standard input.")
    boolean passwordStdin;

    @Option(
        names = "--url",
        paramLabel = "URL",
        defaultValue = "${env:CALLSIGN_PUBLIC_URL:-http://127.0.0.1:8080}",
        description =
            "The console's address as users reach it, for the link (default: env"
                + " CALLSIGN_PUBLIC_URL, else ${DEFAULT-VALUE}).")
    String url;

    @Override
    public Integer call() throws IOException {
      String password = null;
      if (passwordStdin) {
        password =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (password == null) {
          throw new CommandLine.ParameterException(
              spec.commandLine(), "--password-stdin: nothing on standard input");
        }
      }
      try (Opened opened = Opened.of(data, spec)) {
        ConsoleService.Added added;
        try {
          added =
              opened
                  .console()
                  .addUser(account(opened.console(), accountSid, spec), email, password);
        } catch (ApiException e) {
          spec.commandLine().getErr().println(e.error().message());
          return 1;
        }
        Map<String, Object> out = user(added.user());
        if (added.signUpToken() != null) {
          String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
          out.put("sign_up_url", base + "/console/sign-up/" + added.signUpToken());
          out.put(
              "sign_up_url_expires",
              DateTimeFormatter.ISO_INSTANT.format(
                  added.user().dateCreated().plus(ConsoleService.SIGN_UP_LINK_LIMIT)));
        }
        JsonOutput.print(spec.commandLine().getOut(), out);
        return 0;
      }
    }
  }

  /** {@code callsign console-user list}: the users of an account. */
  @Command(
      name = "list",
      mixinStandardHelpOptions = true,
      description = "Lists the console users of an account, as JSON.")
  static final class ListUsers implements Callable<Integer> {
    @Mixin DatabaseOptions data = new DatabaseOptions();
    @Spec CommandSpec spec;

    @Option(
        names = "--account-sid",
        paramLabel = "AC...",
        description = "The account (default: the only main account).")
    String accountSid;

    @Override
    public Integer call() {
      try (Opened opened = Opened.of(data, spec)) {
        List<Map<String, Object>> users = new ArrayList<>();
        try {
          for (ConsoleUser u :
              opened.console().users(account(opened.console(), accountSid, spec))) {
            users.add(user(u));
          }
        } catch (ApiException e) {
          spec.commandLine().getErr().println(e.error().message());
          return 1;
        }
        JsonOutput.print(spec.commandLine().getOut(), Map.of("console_users", users));
        return 0;
      }
    }
  }

  private static Map<String, Object> user(ConsoleUser u) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("sid", u.sid().value());
    out.put("account_sid", u.accountSid().value());
    out.put("email", u.email());
    out.put("password_set", u.passwordSet());
    out.put("mfa_enrolled", u.mfaEnrolled());
    out.put("date_created", DateTimeFormatter.ISO_INSTANT.format(u.dateCreated()));
    return out;
  }
}
