package io.callsign.server.console;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.ConsoleUserSid;
import java.time.Instant;

/**
 * Someone who signs in to the web console of an account.
 *
 * @param sid the user's SID ({@code US...})
 * @param accountSid the account the user administers
 * @param email the address as given (signing in compares its normalised form)
 * @param passwordSet whether the sign-up link has been used
 * @param mfaEnrolled whether a TOTP authenticator is confirmed
 * @param dateCreated when the user was added
 * @param dateUpdated when the password or second factor last changed
 */
public record ConsoleUser(
    ConsoleUserSid sid,
    AccountSid accountSid,
    String email,
    boolean passwordSet,
    boolean mfaEnrolled,
    Instant dateCreated,
    Instant dateUpdated) {}
