package io.callsign.server.http;

import io.callsign.server.store.StoreUnavailableException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HttpResponseException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Javalin application: virtual threads, the features' {@link Routes}, and the one place where
 * errors become Twilio error bodies.
 */
public final class WebRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(WebRoutes.class);
  private static final String JSON = "application/json";

  private final Javalin app;
  private final String host;
  private final int port;

  /** An application serving {@code features} on {@code host}:{@code port} (0 for any port). */
  public WebRoutes(String host, int port, List<Routes> features) {
    this.host = host;
    this.port = port;
    this.app =
        Javalin.create(
            cfg -> {
              cfg.concurrency.useVirtualThreads = true;
              cfg.startup.showJavalinBanner = false;
              cfg.startup.showOldJavalinVersionWarning = false;
              // A known path with the wrong method is 405/20004, not "not found".
              cfg.http.prefer405over404 = true;
              // On stop (SIGTERM) the port closes at once and in-flight requests get up to 10 s to
              // finish: Jetty waits for its Graceful components. In Jetty 12.1 the connector
              // happens to wait for its open connections, but the GracefulHandler is the
              // documented way: it counts requests, whatever the connector or protocol.
              cfg.jetty.modifyServer(
                  server -> {
                    server.setStopTimeout(10_000);
                    server.insertHandler(new DrainingHandler());
                  });
              // Who calls from where, for the audit trail; the peer address, never a forwarded one.
              cfg.routes.before(ctx -> RequestContext.begin(ctx.ip(), ctx.userAgent()));
              cfg.routes.after(ctx -> RequestContext.end());
              features.forEach(f -> f.addTo(cfg.routes));
              cfg.routes.exception(ApiException.class, (e, ctx) -> render(ctx, e.error()));
              cfg.routes.exception(
                  StoreUnavailableException.class,
                  (e, ctx) -> {
                    LOG.warn("Database unavailable: {}", e.getCause().getMessage());
                    render(ctx, ApiError.serviceUnavailable());
                  });
              // Javalin's own outcomes: no route matched (404), wrong method (405), and so on.
              cfg.routes.exception(
                  HttpResponseException.class,
                  (e, ctx) ->
                      render(
                          ctx,
                          switch (e.getStatus()) {
                            case 404 -> ApiError.notFound(ctx.path());
                            case 405 -> ApiError.methodNotAllowed();
                            default -> ApiError.ofStatus(e.getStatus(), e.getMessage());
                          }));
              cfg.routes.exception(
                  Exception.class,
                  (e, ctx) -> {
                    // The type and stack only: messages of unexpected exceptions are not trusted to
                    // be free of request data.
                    LOG.error("Unexpected failure on {} {}", ctx.method(), ctx.path(), e);
                    render(ctx, ApiError.internal());
                  });
            });
  }

  private static void render(Context ctx, ApiError error) {
    ctx.status(error.httpStatus());
    if (error.httpStatus() == 401) {
      ctx.header("WWW-Authenticate", "Basic realm=\"Twilio API\"");
    }
    ctx.contentType(JSON).result(errorJson(error));
  }

  private static String errorJson(ApiError error) {
    return Json.write(Json.errorBody(error));
  }

  /**
   * Jetty's request-counting drain. A request arriving on a kept-alive connection while stopping
   * gets the Twilio 503 body (and {@code Connection: close}) rather than Jetty's HTML error page;
   * only one racing the very start of the stop can still get Jetty's.
   */
  private static final class DrainingHandler extends GracefulHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
      if (!isShutdown()) {
        return super.handle(request, response, callback);
      }
      response.setStatus(503);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
      byte[] body = errorJson(ApiError.serviceUnavailable()).getBytes(StandardCharsets.UTF_8);
      response.write(true, ByteBuffer.wrap(body), callback);
      return true;
    }
  }

  /** Starts serving; returns the bound port. */
  public int start() {
    app.start(host, port);
    return app.port();
  }

  /**
   * Stops accepting connections and returns once the in-flight requests have finished (at most 10
   * s).
   */
  public void stop() {
    app.stop();
  }

  /**
   * The scheme and authority the client used, e.g. {@code http://127.0.0.1:8080}. v1 envelopes
   * carry absolute URLs that the SDKs request as given (twilio-wire.md 2.2), so they point back at
   * the host the client used.
   */
  public static String origin(Context ctx) {
    URI url = URI.create(ctx.url());
    return url.getScheme() + "://" + url.getRawAuthority();
  }

  /** The request's media type without parameters, lower-cased ({@code ""} when none). */
  public static String mediaType(Context ctx) {
    String type = ctx.contentType();
    return type == null ? "" : type.split(";", 2)[0].strip().toLowerCase(Locale.ROOT);
  }
}
