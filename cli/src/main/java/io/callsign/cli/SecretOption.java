package io.callsign.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * A secret given inline or, to keep it out of the process list and shell history, in a file. The
 * value's UTF-8 bytes are the key, as in the official libraries; one trailing newline of a file is
 * dropped.
 */
final class SecretOption {
  @Option(names = "--secret", paramLabel = "SECRET", description = "The secret itself.")
  String inline;

  @Option(
      names = "--secret-file",
      paramLabel = "FILE",
      description = "A file holding the secret (a trailing newline is ignored).")
  Path file;

  byte[] bytes() {
    if (inline != null) {
      return inline.getBytes(StandardCharsets.UTF_8);
    }
    try {
      String text = Files.readString(file, StandardCharsets.UTF_8);
      return text.replaceFirst("\r?\n\\z", "").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
