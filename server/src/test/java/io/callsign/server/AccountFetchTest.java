package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.exception.ApiException;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code GET /2010-04-01/Accounts/{Sid}.json} through twilio-java and raw HTTP. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class AccountFetchTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);

  @TempDir Path dir;
  private CallsignServer server;
  private int port;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private TwilioRestClient client(String user, String password) {
    return TestServers.twilioClient(new LoopbackTwilioClient(port), user, password, user);
  }

  private static String path(String sid) {
    return "/2010-04-01/Accounts/" + sid + ".json";
  }

  @Test
  void fetchAccountWithTwilioJavaThenReturnsEveryField() {
    Account a = Account.fetcher(SID).fetch(client(SID, TOKEN));

    assertThat(a.getSid()).isEqualTo(SID);
    assertThat(a.getAuthToken()).isEqualTo(TOKEN);
    assertThat(a.getOwnerAccountSid()).isEqualTo(SID);
    assertThat(a.getStatus()).isEqualTo(Account.Status.ACTIVE);
    assertThat(a.getType()).isEqualTo(Account.Type.FULL);
    assertThat(a.getFriendlyName()).isNotBlank();
    assertThat(a.getUri()).isEqualTo(path(SID));
    assertThat(a.getSubresourceUris())
        .containsEntry("keys", "/2010-04-01/Accounts/" + SID + "/Keys.json");
    // twilio-java turns a malformed RFC 2822 date into null without complaint.
    assertThat(a.getDateCreated())
        .isNotNull()
        .isBetween(
            ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5),
            ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    assertThat(a.getDateUpdated()).isNotNull();
  }

  @Test
  void fetchAccountWithTwilioJavaWhenWrongTokenThenThrows20003() {
    assertThatThrownBy(() -> Account.fetcher(SID).fetch(client(SID, "x".repeat(32))))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(20003);
              assertThat(e.getStatusCode()).isEqualTo(401);
            });
  }

  @Test
  void fetchAccountWithTwilioJavaWhenUnknownSidThenThrows20404() {
    String other = AccountSid.random().value();
    assertThatThrownBy(() -> Account.fetcher(other).fetch(client(SID, TOKEN)))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.getCode()).isEqualTo(20404);
              assertThat(e.getStatusCode()).isEqualTo(404);
              assertThat(e.getMoreInfo()).isEqualTo("https://www.twilio.com/docs/errors/20404");
            });
  }

  @Test
  void fetchAccountOverHttpThenSendsExactlyTheDocumentedFields() throws Exception {
    HttpResponse<String> res = get(port, path(SID), basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type"))
        .hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(java.util.Map.Entry::getKey)
        .containsExactlyInAnyOrder(
            "auth_token",
            "date_created",
            "date_updated",
            "friendly_name",
            "owner_account_sid",
            "sid",
            "status",
            "subresource_uris",
            "type",
            "uri");
    assertThat(body.get("date_created").asText())
        .matches(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000");
    assertThat(body.get("type").asText()).isEqualTo("Full");
  }

  @Test
  void fetchAccountWhenWrongTokenThenReturns401WithChallenge() throws Exception {
    HttpResponse<String> res = get(port, path(SID), basic(SID, "y".repeat(32)));

    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(res.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Twilio API\"");
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(java.util.Map.Entry::getKey)
        .containsExactly("code", "message", "more_info", "status");
    assertThat(body.get("code").asInt()).isEqualTo(20003);
    assertThat(body.get("status").asInt()).isEqualTo(401);
    assertThat(body.get("more_info").asText())
        .isEqualTo("https://www.twilio.com/docs/errors/20003");
    assertThat(res.body()).doesNotContain(TOKEN);
  }

  @Test
  void fetchAccountWhenNoCredentialsThenReturns401WithChallenge() throws Exception {
    HttpResponse<String> res = get(port, path(SID), null);

    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(res.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Twilio API\"");
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20003);
  }

  @Test
  void fetchAccountWhenAuthorizationHeaderGarbledThenReturns401() throws Exception {
    for (String header : new String[] {"Basic !!!", "Bearer abc", "Basic " + "bm9jb2xvbg=="}) {
      HttpResponse<String> res = get(port, path(SID), header);
      assertThat(res.statusCode()).as(header).isEqualTo(401);
      assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20003);
    }
  }

  @Test
  void fetchAccountWhenUnknownUserThenSameAnswerAsWrongToken() throws Exception {
    String unknown = AccountSid.random().value();
    HttpResponse<String> wrongUser = get(port, path(unknown), basic(unknown, TOKEN));
    HttpResponse<String> wrongToken = get(port, path(SID), basic(SID, "z".repeat(32)));

    assertThat(wrongUser.statusCode()).isEqualTo(wrongToken.statusCode()).isEqualTo(401);
    assertThat(wrongUser.body()).isEqualTo(wrongToken.body());
  }

  @Test
  void fetchAccountWhenMalformedSidInPathThenReturns404() throws Exception {
    for (String p :
        new String[] {
          "/2010-04-01/Accounts/ACnothex.json",
          "/2010-04-01/Accounts/" + SID,
          "/2010-04-01/Accounts/" + SID + ".xml"
        }) {
      HttpResponse<String> res = get(port, p, basic(SID, TOKEN));
      assertThat(res.statusCode()).as(p).isEqualTo(404);
      JsonNode body = JSON.readTree(res.body());
      assertThat(body.get("code").asInt()).isEqualTo(20404);
      assertThat(body.get("message").asText())
          .isEqualTo("The requested resource " + p + " was not found");
    }
  }

  @Test
  void fetchAccountWhenSuspendedThenReturns401With20005() throws Exception {
    server.stop();
    try (Database database = db.open(dir)) {
      database
          .jdbi()
          .useHandle(
              h ->
                  h.execute(
                      "UPDATE accounts SET status = ? WHERE sid = ?",
                      AccountStatus.SUSPENDED.wire(),
                      SID));
    }
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();

    HttpResponse<String> res = get(port, path(SID), basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20005);
    // The status is not revealed to a caller without the token.
    HttpResponse<String> guess = get(port, path(SID), basic(SID, "q".repeat(32)));
    assertThat(JSON.readTree(guess.body()).get("code").asInt()).isEqualTo(20003);
  }
}
