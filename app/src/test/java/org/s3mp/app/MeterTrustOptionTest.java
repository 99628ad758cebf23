package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code s3mp meter --trust} input errors, in-process: refused before anything listens. */
class MeterTrustOptionTest {
  @TempDir Path tmp;

  private static String[] run(String... args) {
    CommandLine cl = S3mp.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new String[] {Integer.toString(exit), err.toString()};
  }

  @Test
  void aMalformedTrustedSourceIsAUsageError() {
    String[] r = run("meter", "--trust", "1-ff00:0:112,not-an-ip", "--keys", tmp.resolve("k").toString(),
        "--generate-keys", "--data", tmp.resolve("data").toString(), "--listen", "tcp://127.0.0.1:0");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("--trust", "ISD-AS or ISD-AS,HOST", "not-an-ip");
  }

  @Test
  void drkeyNeedsATrustedHostNotJustAnAs() {
    String[] r = run("meter", "--drkey", "--trust", "1-ff00:0:112", "--data", tmp.resolve("data").toString(),
        "--listen", "scion://1-ff00:0:111,[127.0.0.1]:0", "--daemon", "127.0.0.1:1");
    assertThat(r[0]).isEqualTo("2");
    assertThat(r[1]).contains("with a host");
  }
}
