package io.callsign.server.http;

import io.callsign.server.logs.Logs;
import io.callsign.server.store.StoreUnavailableException;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import io.javalin.http.HttpResponseException;
import io.javalin.router.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The Javalin application: virtual threads, the features' {@link Routes}, the one place where
 * errors become Twilio error bodies, and the one place where requests are identified ({@code
 * Twilio-Request-Id}), timed and logged.
 */
public final class WebRoutes {
  private static final Logger LOG = LoggerFactory.getLogger(WebRoutes.class);
  // One DEBUG line per request: method, route, status and time; never the query or a header.
  private static final Logger REQUESTS = LoggerFactory.getLogger("io.callsign.server.requests");
  private static final String JSON = "application/json";

  /** The media type of form bodies, as the helper libraries send them. */
  public static final String FORM = "application/x-www-form-urlencoded";

  /** The response header naming the request, as Twilio's API sends it. */
  public static final String REQUEST_ID_HEADER = "Twilio-Request-Id";

  private static final String UNMATCHED = "unmatched";
  private static final List<HandlerType> COMMON_METHODS = HandlerType.commonHttp();

  // Histogram buckets: the hot paths answer in well under a millisecond, slow ones in seconds.
  private static final Duration[] LATENCY_BUCKETS =
      Stream.of(0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000, 5000)
          .map(ms -> Duration.ofNanos((long) (ms.doubleValue() * 1_000_000)))
          .toArray(Duration[]::new);

  private final Javalin app;
  private final String host;
  private final int port;
  private final MeterRegistry metrics;
  // One timer per method, route and status: bounded by the routes, not by the paths requested.
  private final Map<String, Timer> timers = new ConcurrentHashMap<>();

  /**
   * An application serving {@code features} on {@code host}:{@code port} (0 for any port), timing
   * every request in {@code metrics}.
   */
  public WebRoutes(String host, int port, List<Routes> features, MeterRegistry metrics) {
    this.host = host;
    this.port = port;
    this.metrics = metrics;
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
              cfg.routes.before(
                  ctx -> {
                    String id = newRequestId();
                    ctx.header(REQUEST_ID_HEADER, id);
                    MDC.put(Logs.REQUEST_ID, id);
                    RequestContext.begin(ctx.ip(), ctx.userAgent());
                  });
              cfg.routes.after(ctx -> RequestContext.end());
              cfg.requestLogger.http(this::completed);
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

  // RQ + 32 hex digits, the shape of Twilio's request ids. Not a secret: a fast generator will do.
  private static String newRequestId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    HexFormat hex = HexFormat.of();
    return "RQ" + hex.toHexDigits(random.nextLong()) + hex.toHexDigits(random.nextLong());
  }

  private void completed(Context ctx, Float millis) {
    Endpoint matched = ctx.endpoints().lastHttpEndpoint();
    String route = matched == null ? UNMATCHED : matched.path;
    // Any token is a method in HTTP: one timer per invented method would grow without bound.
    String method = COMMON_METHODS.contains(ctx.method()) ? ctx.method().name() : "OTHER";
    int status = ctx.statusCode();
    long nanos = (long) (millis * 1_000_000);
    timers
        .computeIfAbsent(method + ' ' + status + ' ' + route, k -> timer(method, route, status))
        .record(nanos, TimeUnit.NANOSECONDS);
    if (status >= 500) {
      LOG.warn("{} {} answered {} in {} ms", method, route, status, millis);
    } else {
      REQUESTS.debug("{} {} answered {} in {} ms", method, route, status, millis);
    }
    MDC.remove(Logs.REQUEST_ID);
  }

  private Timer timer(String method, String route, int status) {
    return Timer.builder("http.server.requests")
        .description("HTTP requests by method, route template and status")
        .tag("method", method)
        .tag("route", route)
        .tag("status", Integer.toString(status))
        .serviceLevelObjectives(LATENCY_BUCKETS)
        .register(metrics);
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
