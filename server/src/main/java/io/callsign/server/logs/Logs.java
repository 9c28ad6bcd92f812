package io.callsign.server.logs;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.core.encoder.Encoder;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Locale;
import org.slf4j.LoggerFactory;

/**
 * How the process logs: one appender, text for people or JSON lines for collectors, every line
 * carrying the id of the request it belongs to ({@value #REQUEST_ID}, also sent to the client as
 * {@code Twilio-Request-Id}). Configured in code so that {@code callsign serve --log-format json}
 * needs no file. An operator's own {@code -Dlogback.configurationFile} is left alone, and with it
 * the guard that keeps libraries at INFO or above (their DEBUG output holds request headers).
 */
public final class Logs {
  /** The MDC key, and JSON member under {@code mdc}, naming the request a line belongs to. */
  public static final String REQUEST_ID = "request_id";

  /** The system property that makes Logback read the operator's own configuration file. */
  private static final String OWN_CONFIGURATION = "logback.configurationFile";

  // Callsign's own loggers; the level asked for applies to them.
  private static final String OWN_LOGGERS = "io.callsign";

  private static final String TEXT_PATTERN =
      "%d{yyyy-MM-dd'T'HH:mm:ss.SSS'Z',UTC} %-5level [%X{"
          + REQUEST_ID
          + ":--}] %logger{36} - %msg%n";

  private Logs() {}

  /** The shape of log lines. */
  public enum Format {
    /** One readable line per event. */
    TEXT,
    /** One JSON object per line: timestamp, level, loggerName, mdc, formattedMessage, throwable. */
    JSON;

    /**
     * The format named {@code name} ({@code text} or {@code json}, case aside).
     *
     * @throws IllegalArgumentException for any other name
     */
    public static Format parse(String name) {
      try {
        return valueOf(name.strip().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "log format must be text or json, was '" + name + "'", e);
      }
    }
  }

  /**
   * The level named {@code name}: {@code error}, {@code warn}, {@code info}, {@code debug} or
   * {@code trace} (case aside).
   *
   * @throws IllegalArgumentException for any other name
   */
  public static org.slf4j.event.Level level(String name) {
    try {
      return org.slf4j.event.Level.valueOf(name.strip().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "log level must be one of error, warn, info, debug, trace; was '" + name + "'", e);
    }
  }

  /**
   * Sends Callsign's events at {@code level} and above, and the libraries' at {@code level} but
   * never below INFO, to {@code out} in {@code format}, replacing what was configured before. Does
   * nothing when the operator named a Logback file.
   */
  public static void configure(Format format, org.slf4j.event.Level level, OutputStream out) {
    if (System.getProperty(OWN_CONFIGURATION) != null) {
      return;
    }
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    Encoder<ILoggingEvent> encoder =
        switch (format) {
          case TEXT -> text(context);
          case JSON -> json(context);
        };
    encoder.start();
    OutputStreamAppender<ILoggingEvent> appender = new OutputStreamAppender<>();
    appender.setContext(context);
    appender.setName("callsign");
    appender.setEncoder(encoder);
    appender.setOutputStream(new KeptOpen(out));
    appender.start();
    Level wanted = Level.toLevel(level.name());
    context.getLogger(OWN_LOGGERS).setLevel(wanted);
    // Libraries never go below INFO: at DEBUG Jetty writes request headers (Authorization
    // included) and buffer contents (bodies with passwords) verbatim. PlantedSecretsTest finds
    // them otherwise.
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(wanted.isGreaterOrEqual(Level.INFO) ? wanted : Level.INFO);
    root.addAppender(appender);
  }

  /**
   * {@code out}, which the appender may not close: a reconfiguration stops the old appender, and
   * with it would go {@code System.err}.
   */
  private static final class KeptOpen extends FilterOutputStream {
    KeptOpen(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }

  private static Encoder<ILoggingEvent> text(LoggerContext context) {
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern(TEXT_PATTERN);
    return encoder;
  }

  private static Encoder<ILoggingEvent> json(LoggerContext context) {
    JsonEncoder encoder = new JsonEncoder();
    encoder.setContext(context);
    // One flat line per event: what happened, where, and for which request. The unformatted message
    // and its arguments would repeat the formatted message.
    encoder.setWithSequenceNumber(false);
    encoder.setWithNanoseconds(false);
    encoder.setWithThreadName(false);
    encoder.setWithContext(false);
    encoder.setWithMarkers(false);
    encoder.setWithMessage(false);
    encoder.setWithArguments(false);
    encoder.setWithFormattedMessage(true);
    return encoder;
  }
}
