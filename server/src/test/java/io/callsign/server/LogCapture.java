package io.callsign.server;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import ch.qos.logback.core.joran.spi.JoranException;
import io.callsign.server.logs.Logs;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Every log line of this JVM, in a format and at a level, for as long as it is open; closing puts
 * the test configuration (logback-test.xml) back.
 */
final class LogCapture implements AutoCloseable {
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  LogCapture(Logs.Format format, Level level) {
    Logs.configure(format, level, out);
  }

  /** What was logged so far. */
  String text() {
    return out.toString(StandardCharsets.UTF_8);
  }

  @Override
  public void close() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    context.reset();
    try {
      new ContextInitializer(context).autoConfig();
    } catch (JoranException e) {
      throw new IllegalStateException(e);
    }
  }
}
