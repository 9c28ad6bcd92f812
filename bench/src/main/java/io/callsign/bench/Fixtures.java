package io.callsign.bench;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/** One representative token's inputs, shared by every benchmark so all measure the same bytes. */
final class Fixtures {
  static final String ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef";
  static final String KEY_SID = "SKfedcba9876543210fedcba9876543210";
  // Fixed, obviously fake values: benchmarks need repeatable inputs, not real credentials.
  static final byte[] SECRET =
      "benchmark-key-secret-0000000000x".getBytes(StandardCharsets.US_ASCII);
  static final String IDENTITY = "alice@example.com";
  static final String ROOM = "daily-standup";

  static final String AUTH_TOKEN = "benchmark-auth-token-0000000000x";
  static final String WEBHOOK_URL = "https://mycompany.com/myapp.php?foo=1&bar=2";
  static final Map<String, String> WEBHOOK_PARAMS =
      Map.of(
          "CallSid", "CA1234567890ABCDE",
          "Caller", "+14158675309",
          "Digits", "1234",
          "From", "+14158675309",
          "To", "+18005551212");

  private Fixtures() {}
}
