/**
 * The Callsign service: accounts, REST authentication and storage. {@link
 * io.callsign.server.CallsignServer} is the composition root; each feature lives in its own package
 * ({@code accounts}, ...) beside the shared {@code http}, {@code store}, {@code crypto} and {@code
 * config} packages.
 */
package io.callsign.server;
