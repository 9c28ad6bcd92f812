package io.callsign.tokens.sid;

/**
 * A Twilio-style identifier: a two-letter uppercase prefix naming the kind of resource, then 32 hex
 * digits (34 characters in all). Each kind has its own type, so that an account SID cannot be
 * passed where a key SID is expected.
 *
 * <p>Hex digits are accepted in either case, as the Twilio OpenAPI patterns do; SIDs generated here
 * use lowercase, as Twilio's do. Equality is exact string equality.
 */
public sealed interface Sid
    permits AccountSid,
        KeySid,
        FlexInstanceSid,
        FlexUserSid,
        WorkspaceSid,
        WorkerSid,
        TaskQueueSid,
        SsoProfileSid,
        ApplicationSid,
        ServiceSid,
        CredentialSid,
        EventSid,
        ConsoleUserSid {

  /** The whole SID, for example {@code AC0123...}. */
  String value();

  /** The two-letter prefix, for example {@code AC}. */
  String prefix();

  /**
   * Parses a SID of any kind known here into its type.
   *
   * @throws IllegalArgumentException if the format is wrong or the prefix is unknown
   */
  static Sid parse(String value) {
    if (value == null || value.length() < 2) {
      throw new IllegalArgumentException("not a SID: expected two letters and 32 hex digits");
    }
    return switch (value.substring(0, 2)) {
      case AccountSid.PREFIX -> new AccountSid(value);
      case KeySid.PREFIX -> new KeySid(value);
      case FlexInstanceSid.PREFIX -> new FlexInstanceSid(value);
      case FlexUserSid.PREFIX -> new FlexUserSid(value);
      case WorkspaceSid.PREFIX -> new WorkspaceSid(value);
      case WorkerSid.PREFIX -> new WorkerSid(value);
      case TaskQueueSid.PREFIX -> new TaskQueueSid(value);
      case SsoProfileSid.PREFIX -> new SsoProfileSid(value);
      case ApplicationSid.PREFIX -> new ApplicationSid(value);
      case ServiceSid.PREFIX -> new ServiceSid(value);
      case CredentialSid.PREFIX -> new CredentialSid(value);
      case EventSid.PREFIX -> new EventSid(value);
      case ConsoleUserSid.PREFIX -> new ConsoleUserSid(value);
      default ->
          throw new IllegalArgumentException(
              "unknown SID prefix " + Sids.printable(value.substring(0, 2)));
    };
  }
}
