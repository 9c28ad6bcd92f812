package io.callsign.server.http;

import io.javalin.config.RoutesConfig;

/** A feature's HTTP surface. Implementations are the only classes that see Javalin. */
public interface Routes {
  /** Declares this feature's endpoints on {@code routes}. */
  void addTo(RoutesConfig routes);
}
