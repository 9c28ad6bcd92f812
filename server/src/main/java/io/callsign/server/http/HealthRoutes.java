package io.callsign.server.http;

import io.javalin.config.RoutesConfig;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** {@code /healthz} (the process answers) and {@code /readyz} (it can serve requests). */
public final class HealthRoutes implements Routes {
  private final BooleanSupplier ready;

  /** Reports ready when {@code ready} says so (database reachable, migrations applied). */
  public HealthRoutes(BooleanSupplier ready) {
    this.ready = ready;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(
        "/healthz",
        ctx -> ctx.contentType("application/json").result(Json.write(Map.of("status", "ok"))));
    routes.get(
        "/readyz",
        ctx -> {
          if (!ready.getAsBoolean()) {
            throw new ApiException(ApiError.serviceUnavailable());
          }
          ctx.contentType("application/json").result(Json.write(Map.of("status", "ready")));
        });
  }
}
