package io.callsign.cli;

import io.callsign.server.audit.AuditExport;
import io.callsign.server.audit.AuditStore;
import io.callsign.server.audit.AuditVerifier;
import io.callsign.server.audit.EventDates;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.store.Database;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code callsign audit verify|export}: checks and exports the audit trail of an installation. */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description = "Checks or exports the audit trail (read-only; the server may keep running).",
    subcommands = {AuditCommand.Verify.class, AuditCommand.Export.class})
final class AuditCommand {
  private AuditCommand() {}

  /** {@code callsign audit verify}: walks the hash chain; exit 1 names the first broken link. */
  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Checks every link of the audit trail's hash chain, from the retention anchor to the head.",
        "Prints {\"ok\":true,...} and exits 0, or names the first broken link and exits 1."
      })
  static final class Verify implements Callable<Integer> {
    @Mixin DatabaseOptions data = new DatabaseOptions();
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      try (Database database = data.open(spec)) {
        AuditStore store = new JdbiAuditStore(database.jdbi());
        AuditStore.ChainState chain = store.chain();
        AuditVerifier.Result r = AuditVerifier.verify(store);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ok", r.ok());
        out.put("events", r.events());
        out.put("anchor_seq", chain.anchorSeq());
        out.put("head_seq", chain.headSeq());
        out.put("head_hash", chain.headHash());
        if (!r.ok()) {
          out.put("first_broken_link", r.problem());
        }
        JsonOutput.print(spec.commandLine().getOut(), out);
        if (!r.ok()) {
          spec.commandLine().getErr().println("audit trail broken: " + r.problem());
          return 1;
        }
        return 0;
      }
    }
  }

  /** {@code callsign audit export}: the events as JSON lines, with their chain fields. */
  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description = {
        "Writes the events of every account as JSON lines, oldest first, with seq, prev_hash and"
            + " hash so that the export can be checked on its own."
      })
  static final class Export implements Callable<Integer> {
    @Mixin DatabaseOptions data = new DatabaseOptions();
    @Spec CommandSpec spec;

    @Option(
        names = "--since",
        paramLabel = "WHEN",
        description = "Only events at or after WHEN: 2026-11-22 or 2026-11-22T10:00:00Z.")
    String since;

    @Override
    public Integer call() {
      Instant from;
      try {
        from = since == null ? Instant.EPOCH : EventDates.parse(since);
      } catch (DateTimeParseException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "--since: not a date or date-time: " + since);
      }
      PrintWriter out = spec.commandLine().getOut();
      try (Database database = data.open(spec)) {
        AuditStore store = new JdbiAuditStore(database.jdbi());
        store.forEach(
            store.chain().anchorSeq(),
            e -> {
              if (!e.eventDate().isBefore(from)) {
                JsonOutput.print(out, AuditExport.line(e));
              }
              return true;
            });
      }
      return 0;
    }
  }
}
