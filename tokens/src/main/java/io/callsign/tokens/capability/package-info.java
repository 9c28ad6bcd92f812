/**
 * Legacy capability tokens: Twilio Client ({@link
 * io.callsign.tokens.capability.ClientCapabilityToken}) and TaskRouter ({@link
 * io.callsign.tokens.capability.TaskRouterCapabilityToken}), both HS256 JWTs signed with the
 * account's auth token, and their {@link io.callsign.tokens.capability.CapabilityTokenVerifier}.
 *
 * <p>Builders have the shape of twilio-java's {@code com.twilio.jwt.client} and {@code
 * com.twilio.jwt.taskrouter} classes. Tokens are written in one canonical form and read in the
 * forms of twilio-java, twilio-node and twilio-python.
 */
package io.callsign.tokens.capability;
