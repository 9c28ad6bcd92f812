package io.callsign.server.sso;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A provider's signing keys (its JWKS), cached for an hour. A token signed with a key the cache
 * does not know (the provider rotated its keys) makes it fetch the set again at once, but at most
 * once per {@link #REFETCH_INTERVAL}: a flood of tokens with made-up {@code kid}s costs the
 * provider one request per interval, not one per token (security-checklist O-14, ory/hydra#2535).
 * Times come from the server's clock, so that tests move it rather than wait.
 */
final class ProviderKeys implements JWKSource<SecurityContext> {
  /** How long a fetched set is used before it is fetched again. */
  static final Duration LIFETIME = Duration.ofHours(1);

  /** The least time between two fetches caused by an unknown key. */
  static final Duration REFETCH_INTERVAL = Duration.ofSeconds(30);

  private static final Logger LOG = LoggerFactory.getLogger(ProviderKeys.class);

  /** Reads a JWKS document. */
  @FunctionalInterface
  interface Fetcher {
    /** The set at {@code uri}. */
    JWKSet fetch(URI uri) throws KeySourceException;
  }

  private final URI uri;
  private final Fetcher fetcher;
  private final Clock clock;
  // Fetches are rare and short (5 s timeouts); one at a time per provider, and not on a monitor, so
  // that a waiting virtual thread does not pin its carrier.
  private final ReentrantLock lock = new ReentrantLock();
  private JWKSet keys;
  private Instant fetchedAt;
  private Instant lastRefetch;

  ProviderKeys(URI uri, Fetcher fetcher, Clock clock) {
    this.uri = uri;
    this.fetcher = fetcher;
    this.clock = clock;
  }

  /** Where the set is read from. */
  URI uri() {
    return uri;
  }

  @Override
  public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
    lock.lock();
    try {
      Instant now = clock.instant();
      if (keys == null) {
        fetch(now);
      } else if (!now.isBefore(fetchedAt.plus(LIFETIME))) {
        try {
          fetch(now);
        } catch (KeySourceException e) {
          // The provider is away: the keys it published an hour ago still verify its tokens.
          LOG.warn("Cannot refresh the signing keys from {}: {}", uri, e.getMessage());
        }
      }
      List<JWK> found = selector.select(keys);
      if (found.isEmpty()
          && (lastRefetch == null || !now.isBefore(lastRefetch.plus(REFETCH_INTERVAL)))) {
        lastRefetch = now;
        try {
          fetch(now);
        } catch (KeySourceException e) {
          LOG.warn("Cannot fetch the signing keys from {}: {}", uri, e.getMessage());
          return List.of();
        }
        found = selector.select(keys);
      }
      return found;
    } finally {
      lock.unlock();
    }
  }

  private void fetch(Instant now) throws KeySourceException {
    // Only public keys are ever used, whatever the document holds.
    keys = fetcher.fetch(uri).toPublicJWKSet();
    fetchedAt = now;
    LOG.info("Fetched {} signing keys from {}", keys.size(), uri);
  }
}
