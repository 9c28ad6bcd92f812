package io.callsign.cli;

import picocli.CommandLine.Command;

/** {@code callsign webhook sign|validate}: X-Twilio-Signature from the command line. */
@Command(
    name = "webhook",
    mixinStandardHelpOptions = true,
    description = "Sign and validate X-Twilio-Signature webhook requests.")
final class WebhookCommand {}
