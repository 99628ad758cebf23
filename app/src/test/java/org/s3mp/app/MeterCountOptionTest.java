package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.transport.MeterUrl;
import picocli.CommandLine;

/** {@code s3mp meter --count} input errors, in-process: refused with exit code 2 before anything listens. */
class MeterCountOptionTest {
  @TempDir Path tmp;

  private String[] run(String... more) {
    CommandLine cl = S3mp.commandLine();
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    String[] args = new String[more.length + 3];
    args[0] = "meter";
    args[1] = "--data";
    args[2] = tmp.resolve("data").toString();
    System.arraycopy(more, 0, args, 3, more.length);
    int exit = cl.execute(args);
    return new String[] {Integer.toString(exit), err.toString()};
  }

  @Test
  void badCountsAreUsageErrors() {
    assertThat(run("--count", "0", "--listen", "tcp://127.0.0.1:5000")).containsExactly("2",
        "meter: error: --count must be 1..20000, got 0\n");
    assertThat(run("--count", "3", "--listen", "tcp://127.0.0.1:0")[1]).contains("needs a fixed port");
    assertThat(run("--count", "3", "--listen", "tcp://127.0.0.1:65534")[1]).contains("ports 65534..65536");
    assertThat(run("--count", "2", "--listen", "tcp://127.0.0.1:5000", "--keys", "k")[1])
        .contains("each meter has its own keys file");
    assertThat(run("--count", "2", "--listen", "tcp://127.0.0.1:5000", "--listen", "tcp://127.0.0.1:6000")[1])
        .contains("exactly one --listen");
    assertThat(run("--count", "2", "--modbus-tcp", "127.0.0.1:502", "--listen", "tcp://127.0.0.1:5000")[1])
        .contains("simulated meters only");
  }

  @Test
  void portsFollowTheFirstMetersUrl() {
    assertThat(MeterCommand.withPort(MeterUrl.parse("tcp://127.0.0.1:5000"), 5002))
        .hasToString("tcp://127.0.0.1:5002");
    assertThat(MeterCommand.withPort(MeterUrl.parse("scion://1-ff00:0:111,[127.0.0.1]:4059"), 4061))
        .hasToString("scion://1-ff00:0:111,[127.0.0.1]:4061");
  }
}
