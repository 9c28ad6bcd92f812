package io.callsign.server;

import com.twilio.http.HttpClient;
import com.twilio.http.HttpMethod;
import com.twilio.http.Request;
import com.twilio.http.Response;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;

/**
 * A twilio-java {@link HttpClient} that sends every request to a loopback Callsign instead of
 * https://*.twilio.com (twilio-wire.md 4.3).
 */
final class LoopbackTwilioClient extends HttpClient {
  private final String base;
  private final java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();

  /** The path and query of every request sent, in order (to check how the SDK pages). */
  final List<String> requested = new java.util.concurrent.CopyOnWriteArrayList<>();

  LoopbackTwilioClient(int port) {
    this.base = "http://127.0.0.1:" + port;
  }

  @Override
  public Response makeRequest(Request r) {
    URL url = r.constructURL();
    requested.add(url.getFile());
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + url.getFile()))
            .header("Authorization", r.getAuthString());
    for (Map.Entry<String, List<String>> h : r.getHeaderParams().entrySet()) {
      for (String v : h.getValue()) {
        b.header(h.getKey(), v);
      }
    }
    HttpMethod m = r.getMethod();
    if (m == HttpMethod.POST || m == HttpMethod.PUT) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .method(m.name(), HttpRequest.BodyPublishers.ofString(r.encodeFormBody()));
    } else {
      b.method(m.name(), HttpRequest.BodyPublishers.noBody());
    }
    try {
      HttpResponse<byte[]> res = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      return new Response(new ByteArrayInputStream(res.body()), res.statusCode());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
