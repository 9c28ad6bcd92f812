/**
 * The Callsign service: accounts, API keys, REST authentication and the token service. Built in the
 * [server-core] milestone; this package holds its composition root once it exists.
 */
package io.callsign.server;
