package io.callsign.server.http;

import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

/**
 * {@code GET /metrics}: the server's Micrometer meters in the Prometheus text exposition format.
 * Unauthenticated, as Prometheus scrapers expect; the meters carry counts only, never a SID, a
 * username or an address (docs/design/0009-token-server.md). Keep the port off the public network,
 * or filter this path at the proxy, if the counts themselves are sensitive.
 */
public final class MetricsRoutes implements Routes {
  /** The scrape path. */
  public static final String PATH = "/metrics";

  private static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private final PrometheusMeterRegistry registry;

  /** Routes exposing {@code registry}. */
  public MetricsRoutes(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(PATH, this::scrape);
  }

  private void scrape(Context ctx) {
    ctx.contentType(CONTENT_TYPE).result(registry.scrape());
  }
}
