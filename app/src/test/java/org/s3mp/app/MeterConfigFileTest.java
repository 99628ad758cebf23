package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code s3mp meter --config FILE}: options from a properties file, the command line winning. Each case ends in a
 * usage error that shows which value was taken, before anything listens.
 */
class MeterConfigFileTest {
  @TempDir Path tmp;

  /** Runs {@code meter --config FILE args} with the file holding {@code config}; returns stderr of the exit 2. */
  private String usageError(String config, String... args) throws Exception {
    return usageErrorWith(Files.writeString(tmp.resolve("meter.properties"), config), args);
  }

  private static String usageErrorWith(Path config, String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "meter";
    all[1] = "--config";
    all[2] = config.toString();
    System.arraycopy(args, 0, all, 3, args.length);
    CommandLine cl = S3mp.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute(all)).as(err.toString()).isEqualTo(2);
    return err.toString();
  }

  @Test
  void valuesFromTheFileAreUsed() throws Exception {
    assertThat(usageError("count=0\n")).contains("--count must be 1..", "got 0");
  }

  @Test
  void theCommandLineWins() throws Exception {
    assertThat(usageError("count=0\n", "--count", "20001")).contains("got 20001");
  }

  @Test
  void switchesAndGroupedOptionsComeFromTheFileToo() throws Exception {
    assertThat(usageError("count=2\nmodbus-tcp=127.0.0.1:502\n")).contains("--count runs simulated meters only");
    assertThat(usageError("count=2\ndrkey=true\n")).contains("not --drkey");
    assertThat(usageError("count=2\ndrkey=false\nlisten=tcp://127.0.0.1:0\n", "--data", tmp.resolve("d").toString()))
        .contains("--listen needs a fixed port");
  }

  @Test
  void listenTakesSeveralUrls() throws Exception {
    assertThat(usageError("count=2\nlisten=tcp://127.0.0.1:5000 tcp://127.0.0.1:6000\n"))
        .contains("--count needs exactly one --listen URL");
    assertThat(usageError("count=2\nlisten=tcp://127.0.0.1:5000, tcp://127.0.0.1:6000\n"))
        .contains("--count needs exactly one --listen URL");
    // the comma inside a SCION address does not split it
    assertThat(usageError("count=2\nlisten=scion://1-ff00:0:111,[127.0.0.1]:0\n"))
        .contains("--listen needs a fixed port");
  }

  @Test
  void aSourceOnTheCommandLineReplacesTheFilesSource() throws Exception {
    assertThat(usageError("count=2\nmodbus-tcp=127.0.0.1:502\nlisten=tcp://127.0.0.1:0\n", "--simulated"))
        .doesNotContain("simulated meters only").contains("--listen needs a fixed port");
  }

  @Test
  void unknownNamesAndANestedConfigAreRefused() throws Exception {
    assertThat(usageError("lisen=tcp://127.0.0.1:4059\n")).contains("unknown option lisen");
    assertThat(usageError("config=other.properties\n")).contains("unknown option config");
  }

  @Test
  void anUnreadableFileIsAUsageError() {
    assertThat(usageErrorWith(tmp.resolve("missing.properties"))).contains("cannot read --config");
  }
}
