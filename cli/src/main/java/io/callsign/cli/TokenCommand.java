package io.callsign.cli;

import io.callsign.tokens.AccessToken;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.Grant;
import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.Jwt;
import io.callsign.tokens.JwtDecodeException;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.VerifiedAccessToken;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code callsign token mint|verify|decode}: Access Tokens from the command line. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "Mint, verify and decode Twilio Access Tokens.",
    subcommands = {TokenCommand.Mint.class, TokenCommand.Verify.class, TokenCommand.Decode.class})
final class TokenCommand {

  @Command(
      name = "mint",
      mixinStandardHelpOptions = true,
      description = "Mint an Access Token and print it (the bare JWT, or JSON with --json).")
  static final class Mint implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--account-sid", required = true, paramLabel = "AC...", description = "sub")
    String accountSid;

    @Option(names = "--key-sid", required = true, paramLabel = "SK...", description = "iss")
    String keySid;

    @ArgGroup(exclusive = true, multiplicity = "1")
    SecretOption secret;

    @Option(names = "--identity", description = "The user's identity.")
    String identity;

    @Option(
        names = "--ttl",
        defaultValue = "3600",
        description = "Lifetime in seconds, 1 to 86400 (default ${DEFAULT-VALUE}).")
    int ttl;

    @Option(names = "--nbf", paramLabel = "EPOCH", description = "Not valid before (epoch s).")
    Long nbf;

    @Option(names = "--region", description = "Region for the twr header, e.g. ie1.")
    String region;

    @Option(
        names = "--grant",
        paramLabel = "KIND:k=v,...",
        converter = GrantSpec.class,
        description = {
          "A grant; repeatable. KIND is video, voice, chat, data_sync, task_router or player.",
          "e.g. video:room=R  voice:outgoing_application_sid=AP..,incoming_allow=true"
        })
    List<Grant> grants = new ArrayList<>();

    @Option(names = "--json", description = "Print {\"token\", \"header\", \"claims\"} instead.")
    boolean json;

    @Override
    public Integer call() {
      AccessToken.Builder builder =
          new AccessToken.Builder(accountSid, keySid, secret.bytes())
              .identity(identity)
              .ttl(ttl)
              .region(region)
              .grants(grants);
      if (nbf != null) {
        builder.nbf(Instant.ofEpochSecond(nbf));
      }
      AccessToken token = builder.build();
      if (json) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", token.toJwt());
        out.put("header", token.getHeaders());
        out.put("claims", token.getClaims());
        JsonOutput.print(spec.commandLine().getOut(), out);
      } else {
        spec.commandLine().getOut().println(token.toJwt());
        spec.commandLine().getOut().flush();
      }
      return 0;
    }
  }

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description = {
        "Verify an Access Token with its key secret.",
        "Prints {\"valid\":true,\"header\":...,\"claims\":...} and exits 0, or",
        "{\"valid\":false,\"code\":2010x,\"message\":...} and exits 1."
      })
  static final class Verify implements Callable<Integer> {
    @Spec CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    SecretOption secret;

    @Option(
        names = "--account-sid",
        paramLabel = "AC...",
        description = "Require the token to be for this account (sub).")
    String accountSid;

    @Parameters(paramLabel = "TOKEN", description = "The token, or - to read it from stdin.")
    String token;

    @Override
    public Integer call() {
      String jwt = readToken(token);
      byte[] secretBytes = secret.bytes();
      // The CLI holds one secret and knows its key only by the token's iss; the account is the one
      // required, or else whatever sub the token names.
      String account = accountSid != null ? accountSid : unverifiedSubject(jwt);
      AccessTokenVerifier.Builder verifier =
          AccessTokenVerifier.builder(keySid -> SigningKey.of(keySid, account, secretBytes));
      if (accountSid != null) {
        verifier.requireAccount(accountSid);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      try {
        VerifiedAccessToken verified = verifier.build().verify(jwt);
        out.put("valid", true);
        out.put("header", verified.header());
        out.put("claims", verified.claims());
        JsonOutput.print(spec.commandLine().getOut(), out);
        return 0;
      } catch (InvalidTokenException e) {
        out.put("valid", false);
        out.put("code", e.code());
        out.put("message", e.error().title() + ": " + e.getMessage());
        JsonOutput.print(spec.commandLine().getOut(), out);
        return Main.EXIT_NEGATIVE;
      }
    }

    private static String unverifiedSubject(String jwt) {
      try {
        Object sub = Jwt.decodeUnverified(jwt).claims().get("sub");
        if (sub instanceof String s && s.startsWith("AC") && s.length() == 34) {
          return s;
        }
      } catch (JwtDecodeException e) {
        // The verifier reports the precise reason.
      }
      return "AC00000000000000000000000000000000";
    }
  }

  @Command(
      name = "decode",
      mixinStandardHelpOptions = true,
      description = "Print a token's header and claims WITHOUT verifying anything.")
  static final class Decode implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "TOKEN", description = "The token, or - to read it from stdin.")
    String token;

    @Override
    public Integer call() {
      try {
        Jwt.Decoded decoded = Jwt.decodeUnverified(readToken(token));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("verified", false);
        out.put("warning", "UNVERIFIED: signature, issuer and times were not checked");
        out.put("header", decoded.header());
        out.put("claims", decoded.claims());
        JsonOutput.print(spec.commandLine().getOut(), out);
        return 0;
      } catch (JwtDecodeException e) {
        spec.commandLine().getErr().println("callsign: cannot decode token: " + e.getMessage());
        return Main.EXIT_NEGATIVE;
      }
    }
  }

  static String readToken(String argument) {
    if (!argument.equals("-")) {
      return argument.strip();
    }
    try (BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line = in.readLine();
      return line == null ? "" : line.strip();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the token from stdin", e);
    }
  }
}
