package io.callsign.server;

import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.http.HealthRoutes;
import io.callsign.server.http.WebRoutes;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Liveness, readiness, and what unknown routes answer. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class HealthTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void healthzAndReadyzWhenDatabaseMigratedThenReturn200() throws Exception {
    try (CallsignServer server = new CallsignServer(db.config(dir))) {
      int port = server.start();
      assertThat(get(port, "/healthz", null).statusCode()).isEqualTo(200);
      assertThat(get(port, "/readyz", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void readyzWhenDatabaseNotReadyThenReturns503WithTwilioError() throws Exception {
    WebRoutes web =
        new WebRoutes(
            "127.0.0.1", 0, List.of(new HealthRoutes(() -> false)), new SimpleMeterRegistry());
    int port = web.start();
    try {
      HttpResponse<String> res = get(port, "/readyz", null);
      assertThat(res.statusCode()).isEqualTo(503);
      JsonNode body = JSON.readTree(res.body());
      assertThat(body.get("code").asInt()).isEqualTo(20503);
      assertThat(body.get("status").asInt()).isEqualTo(503);
      assertThat(body.get("more_info").asText())
          .isEqualTo("https://www.twilio.com/docs/errors/20503");
      // Liveness does not depend on the database.
      assertThat(get(port, "/healthz", null).statusCode()).isEqualTo(200);
    } finally {
      web.stop();
    }
  }

  @Test
  void unknownRouteThenReturns404WithTwilioBody() throws Exception {
    try (CallsignServer server = new CallsignServer(db.config(dir))) {
      int port = server.start();
      HttpResponse<String> res = get(port, "/2010-04-01/Nope.json", null);

      assertThat(res.statusCode()).isEqualTo(404);
      JsonNode body = JSON.readTree(res.body());
      assertThat(body.get("code").asInt()).isEqualTo(20404);
      assertThat(body.get("message").asText())
          .isEqualTo("The requested resource /2010-04-01/Nope.json was not found");
      assertThat(body.get("more_info").asText())
          .isEqualTo("https://www.twilio.com/docs/errors/20404");
      assertThat(body.get("status").asInt()).isEqualTo(404);
    }
  }

  @Test
  void knownRouteWhenWrongMethodThenReturns405WithTwilioBody() throws Exception {
    try (CallsignServer server = new CallsignServer(db.config(dir))) {
      int port = server.start();
      HttpResponse<String> res =
          TestServers.HTTP.send(
              java.net.http.HttpRequest.newBuilder(
                      java.net.URI.create("http://127.0.0.1:" + port + "/healthz"))
                  .DELETE()
                  .build(),
              HttpResponse.BodyHandlers.ofString());

      assertThat(res.statusCode()).isEqualTo(405);
      JsonNode body = JSON.readTree(res.body());
      assertThat(body.get("code").asInt()).isEqualTo(20004);
      assertThat(body.get("status").asInt()).isEqualTo(405);
    }
  }
}
