package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code s3mp scion ...} input errors, in-process (no SCION network needed). */
class ScionCommandTest {
  record Run(int exit, String err) {}

  private static Run run(String... args) {
    CommandLine cl = S3mp.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    int exit = cl.execute(args);
    return new Run(exit, err.toString());
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void badIsdAsIsAUsageError() {
    Run r = run("scion", "showpaths", "1-ff00:0", "--daemon", "127.0.0.1:1");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("1-ff00:0").hasLineCount(1);
  }

  @Test
  void badAddressIsAUsageError() {
    Run r = run("scion", "ping", "1-ff00:0:112", "--daemon", "127.0.0.1:1");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("not a SCION address").hasLineCount(1);
  }

  @Test
  void unreachableDaemonIsOneLine() throws Exception {
    int port = closedPort();
    Run r = run("scion", "showpaths", "1-ff00:0:112", "--daemon", "127.0.0.1:" + port);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("SCION daemon at 127.0.0.1:" + port).contains("UNAVAILABLE").hasLineCount(1);
  }

  @Test
  void missingPolicyFileIsNamed() throws Exception {
    Run r = run("scion", "showpaths", "1-ff00:0:112", "--daemon", "127.0.0.1:" + closedPort(), "--policy",
        "/nonexistent/policy.json");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("/nonexistent/policy.json").hasLineCount(1);
  }

  @Test
  void helpWorks() {
    assertThat(run("scion", "showpaths", "--help").exit()).isZero();
    assertThat(run("scion", "ping", "--help").exit()).isZero();
  }
}
