package org.s3mp.app;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import java.io.PrintWriter;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code s3mp} command: one subcommand per job, see ARCHITECTURE.md (the CLI contract). */
@Command(
    name = "s3mp",
    mixinStandardHelpOptions = true,
    versionProvider = S3mp.Version.class,
    description = "S3MP - secure smart metering over SCION.",
    subcommands = {DemoCommand.class, TestbedCommand.class, BenchCommand.class, HeadendCommand.class, TokenCommand.class, ScionCommand.class, MeterCommand.class, ReadCommand.class, DisconnectCommand.class, ReconnectCommand.class, MessageCommand.class, PushListenCommand.class, ClockCommand.class, KeysCommand.class, FirmwareCommand.class})
public final class S3mp {

  @Option(
      names = "--verbose",
      scope = CommandLine.ScopeType.INHERIT,
      description = "Debug logging and full stack traces on errors.")
  void setVerbose(boolean verbose) {
    S3mp.verbose = verbose;
    if (verbose) {
      ((Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME)).setLevel(Level.DEBUG);
    }
  }

  static boolean verbose;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The configured command line; tests execute it in-process. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new S3mp());
    cl.setExecutionExceptionHandler(S3mp::reportError);
    return cl;
  }

  /** Errors are one line and exit code 1; the stack trace only with --verbose. */
  private static int reportError(Exception e, CommandLine cl, CommandLine.ParseResult parsed) {
    PrintWriter err = cl.getErr();
    if (verbose) {
      e.printStackTrace(err);
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    err.println(cl.getCommandName() + ": error: " + message.lines().findFirst().orElse(""));
    err.flush();
    return e instanceof UsageError ? 2 : 1;
  }

  /** Thrown by commands for wrong input that the option parser cannot catch (exit code 2). */
  static final class UsageError extends RuntimeException {
    UsageError(String message) {
      super(message);
    }
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = S3mp.class.getPackage().getImplementationVersion();
      return new String[] {"s3mp " + (v == null ? "dev" : v)};
    }
  }
}
