package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.keys.Policy;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/** Starting real servers on port 0 and calling them over loopback. */
final class TestServers {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A restricted key's policy that allows nothing Callsign serves. */
  static final Policy OTHER_PRODUCT_POLICY =
      Policy.parse("{\"allow\":[\"/twilio/messaging/messages/read\"]}");

  private TestServers() {}

  /** A config on an ephemeral loopback port in {@code dir}, with no environment. */
  static ServerConfig config(Path dir) {
    return ServerConfig.defaults(Map.of()).withListen("127.0.0.1", 0).withDataDir(dir);
  }

  static HttpResponse<String> get(int port, String path, String authorization)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Sends {@code body} (JSON, or nothing when {@code null}) with {@code method} to {@code path}.
   */
  static HttpResponse<String> sendJson(
      int port, String method, String path, String authorization, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** POSTs the form {@code body} (already encoded) to {@code path}. */
  static HttpResponse<String> sendForm(int port, String path, String authorization, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** The official twilio-java client, pointed at a test server through {@code loopback}. */
  static TwilioRestClient twilioClient(
      LoopbackTwilioClient loopback, String user, String password, String accountSid) {
    return new TwilioRestClient.Builder(user, password)
        .accountSid(accountSid)
        .httpClient(loopback)
        .build();
  }

  /** {@code e} is the twilio-java exception for an error body with this HTTP status and code. */
  static void assertTwilioError(Throwable e, int status, int code) {
    assertThat(e)
        .isInstanceOfSatisfying(
            ApiException.class,
            a -> {
              assertThat(a.getStatusCode()).isEqualTo(status);
              assertThat(a.getCode()).isEqualTo(code);
            });
  }

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }
}
