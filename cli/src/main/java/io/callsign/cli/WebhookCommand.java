package io.callsign.cli;

import io.callsign.tokens.webhook.RequestSigner;
import io.callsign.tokens.webhook.RequestValidator;
import io.callsign.tokens.webhook.SignedUrl;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code callsign webhook sign|validate}: X-Twilio-Signature from the command line. */
@Command(
    name = "webhook",
    mixinStandardHelpOptions = true,
    description = "Sign and validate X-Twilio-Signature webhook requests.",
    subcommands = {WebhookCommand.Sign.class, WebhookCommand.Validate.class})
final class WebhookCommand {

  /** The account auth token, inline or from a file. */
  static final class AuthToken {
    @Option(names = "--auth-token", paramLabel = "TOKEN", description = "The auth token.")
    String inline;

    @Option(
        names = "--auth-token-file",
        paramLabel = "FILE",
        description = "A file holding the auth token (a trailing newline is ignored).")
    Path file;

    String value() {
      if (inline != null) {
        return inline;
      }
      return read(file).replaceFirst("\r?\n\\z", "");
    }
  }

  /** What was requested: URL, form parameters or a JSON body. */
  static final class Request {
    @Option(names = "--url", required = true, description = "The full URL, query string included.")
    String url;

    @Option(
        names = "--param",
        paramLabel = "NAME=VALUE",
        description = "A form parameter; repeatable, and a name may repeat.")
    List<String> params = new ArrayList<>();

    @Option(
        names = "--body",
        paramLabel = "FILE",
        description = "A JSON body (signed through bodySHA256 in the URL); - reads stdin.")
    Path body;

    Map<String, List<String>> params() {
      Map<String, List<String>> map = new LinkedHashMap<>();
      for (String param : params) {
        int eq = param.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--param expects NAME=VALUE, got '" + param + "'");
        }
        map.computeIfAbsent(param.substring(0, eq), k -> new ArrayList<>())
            .add(param.substring(eq + 1));
      }
      return map;
    }

    String body() {
      if (!params.isEmpty()) {
        throw new IllegalArgumentException("give either --param or --body, not both");
      }
      if (body.toString().equals("-")) {
        try {
          return new String(System.in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read the body from stdin", e);
        }
      }
      return read(body);
    }
  }

  @Command(
      name = "sign",
      mixinStandardHelpOptions = true,
      description = {
        "Print the X-Twilio-Signature for a request.",
        "With --body, bodySHA256 is added to the URL first; --json also prints that URL."
      })
  static final class Sign implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    AuthToken authToken;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Request request;

    @Option(names = "--json", description = "Print {\"url\", \"signature\"} instead.")
    boolean json;

    @Override
    public Integer call() {
      RequestSigner signer = new RequestSigner(authToken.value());
      SignedUrl signed =
          request.body != null
              ? signer.signJson(request.url, request.body())
              : new SignedUrl(request.url, signer.signParams(request.url, request.params()));
      if (json) {
        JsonOutput.print(
            spec.commandLine().getOut(),
            Map.of("url", signed.url(), "signature", signed.signature()));
      } else {
        spec.commandLine().getOut().println(signed.signature());
        spec.commandLine().getOut().flush();
      }
      return 0;
    }
  }

  @Command(
      name = "validate",
      mixinStandardHelpOptions = true,
      description = {
        "Check an X-Twilio-Signature. Prints {\"valid\":true|false};",
        "exits 0 when valid, 1 when not. With --body, the URL must carry bodySHA256."
      })
  static final class Validate implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    AuthToken authToken;

    @ArgGroup(exclusive = false, multiplicity = "1")
    Request request;

    @Option(names = "--signature", required = true, description = "The X-Twilio-Signature value.")
    String signature;

    @Override
    public Integer call() {
      RequestValidator validator = new RequestValidator(authToken.value());
      boolean valid =
          request.body != null
              ? validator.validate(request.url, request.body(), signature)
              : validator.validateParams(request.url, request.params(), signature);
      JsonOutput.print(spec.commandLine().getOut(), Map.of("valid", valid));
      return valid ? 0 : Main.EXIT_NEGATIVE;
    }
  }

  private static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }
}
