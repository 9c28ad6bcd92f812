package io.callsign.cli;

import io.callsign.server.logs.Logs;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code callsign} command. Results go to stdout as JSON (a bare token or signature where the
 * command says so), errors to stderr. Exit status: 0 success, 1 a negative answer (token invalid,
 * signature not matching) or a failure, 2 a usage error.
 */
@Command(
    name = "callsign",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = "The Callsign server, and Twilio-compatible tokens and webhook signatures.",
    subcommands = {
      ServeCommand.class,
      TokenCommand.class,
      WebhookCommand.class,
      AuditCommand.class,
      ConsoleUserCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main {
  /** Exit status for a well-formed request whose answer is "no". */
  static final int EXIT_NEGATIVE = 1;

  public static void main(String[] args) {
    // Plain text at info on stderr until a command says otherwise (serve reads its own options).
    Logs.configure(Logs.Format.TEXT, org.slf4j.event.Level.INFO, System.err);
    System.exit(commandLine().execute(args));
  }

  /** The configured command line, shared with tests. */
  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> {
          if (e instanceof IllegalArgumentException) {
            // Input that parsed but does not make sense (short secret, bad SID): a usage error.
            commandLine.getErr().println("callsign: " + e.getMessage());
            return CommandLine.ExitCode.USAGE;
          }
          commandLine.getErr().println("callsign: " + e);
          return CommandLine.ExitCode.SOFTWARE;
        });
    return cli;
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"callsign " + (version == null ? "development build" : version)};
    }
  }
}
