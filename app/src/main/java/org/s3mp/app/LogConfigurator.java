package org.s3mp.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The logging setup in code instead of logback.xml: the XML configurator loads some 600 classes (Joran and a
 * JAXP parser), a sizeable share of a small meter's memory. Logs go to stderr (CLI output is stdout), the root
 * level from {@code S3MP_LOG_LEVEL} (default INFO). {@code -Dlogback.configurationFile=...} still wins.
 */
public final class LogConfigurator extends ContextAwareBase implements Configurator {
  private static final String[] QUIET = {"io.grpc", "io.netty", "org.eclipse.jetty", "com.zaxxer.hikari",
      "org.flywaydb", "io.javalin"};

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(context);
    encoder.setPattern("%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n");
    encoder.start();
    ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
    stderr.setContext(context);
    stderr.setName("STDERR");
    stderr.setTarget("System.err");
    stderr.setEncoder(encoder);
    stderr.start();
    for (String name : QUIET) {
      context.getLogger(name).setLevel(Level.WARN);
    }
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    String level = System.getenv("S3MP_LOG_LEVEL");
    root.setLevel(Level.toLevel(level == null ? "INFO" : level, Level.INFO));
    root.addAppender(stderr);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
