package io.callsign.cli;

import io.callsign.tokens.internal.Json;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Map;

/** One in-process run of the {@code callsign} command: exit status, stdout and stderr. */
record CliRun(int status, String out, String err) {
  static CliRun of(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int status =
        Main.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
    return new CliRun(status, out.toString(), err.toString());
  }

  /** Stdout parsed as one JSON object. */
  Map<String, Object> json() {
    return Json.parseObject(out.strip());
  }
}
