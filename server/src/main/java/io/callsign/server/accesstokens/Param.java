package io.callsign.server.accesstokens;

/**
 * The request parameters of the Access Token endpoints, with their names in a Twilio-style form
 * ({@code Ttl}) and in a JSON body ({@code ttl}).
 */
enum Param {
  IDENTITY("Identity", "identity"),
  TTL("Ttl", "ttl"),
  NBF("Nbf", "nbf"),
  REGION("Region", "region"),
  KEY_SID("KeySid", "key_sid"),
  GRANTS("Grants", "grants"),
  TOKEN("Token", "token");

  private final String formName;
  private final String jsonName;

  Param(String formName, String jsonName) {
    this.formName = formName;
    this.jsonName = jsonName;
  }

  /** The name in a form ({@code json} false) or in a JSON body. */
  String name(boolean json) {
    return json ? jsonName : formName;
  }
}
