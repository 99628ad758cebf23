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

  private String[] run(String config, String... args) throws Exception {
    Path file = Files.writeString(tmp.resolve("meter.properties"), config);
    return runWith(file, args);
  }

  private static String[] runWith(Path config, String... args) {
    String[] all = new String[args.length + 3];
    all[0] = "meter";
    all[1] = "--config";
    all[2] = config.toString();
    System.arraycopy(args, 0, all, 3, args.length);
    CommandLine cl = S3mp.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(all);
    return new String[] {Integer.toString(exit), err.toString()};
  }

  @Test
  void valuesFromTheFileAreUsed() throws Exception {
    String[] r = run("count=0\n");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--count must be 1..", "got 0");
  }

  @Test
  void theCommandLineWins() throws Exception {
    String[] r = run("count=0\n", "--count", "20001");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("got 20001");
  }

  @Test
  void switchesAndGroupedOptionsComeFromTheFileToo() throws Exception {
    String[] r = run("count=2\nmodbus-tcp=127.0.0.1:502\n");
    assertThat(r[1]).contains("--count runs simulated meters only");
    r = run("count=2\ndrkey=true\n");
    assertThat(r[1]).contains("not --drkey");
    r = run("count=2\ndrkey=false\nlisten=tcp://127.0.0.1:0\n", "--data", tmp.resolve("d").toString());
    assertThat(r[1]).contains("--listen needs a fixed port");
  }

  @Test
  void listenTakesSeveralUrls() throws Exception {
    String[] r = run("count=2\nlisten=tcp://127.0.0.1:5000 tcp://127.0.0.1:6000\n");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--count needs exactly one --listen URL");
    r = run("count=2\nlisten=tcp://127.0.0.1:5000, tcp://127.0.0.1:6000\n");
    assertThat(r[1]).contains("--count needs exactly one --listen URL");
    // the comma inside a SCION address does not split it
    r = run("count=2\nlisten=scion://1-ff00:0:111,[127.0.0.1]:0\n");
    assertThat(r[1]).contains("--listen needs a fixed port");
  }

  @Test
  void aSourceOnTheCommandLineReplacesTheFilesSource() throws Exception {
    String[] r = run("count=2\nmodbus-tcp=127.0.0.1:502\nlisten=tcp://127.0.0.1:0\n", "--simulated");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).doesNotContain("simulated meters only").contains("--listen needs a fixed port");
  }

  @Test
  void unknownNamesAndANestedConfigAreRefused() throws Exception {
    String[] r = run("lisen=tcp://127.0.0.1:4059\n");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unknown option lisen");
    r = run("config=other.properties\n");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("unknown option config");
  }

  @Test
  void anUnreadableFileIsAUsageError() {
    String[] r = runWith(tmp.resolve("missing.properties"));
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("cannot read --config");
  }
}
