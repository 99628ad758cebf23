package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operator mistakes get clear errors that leak nothing (issue 20), from the real {@code s3mp} process. */
class HeadendCliErrorsTest {

  @TempDir Path dir;

  @Test
  void aConfigThatIsNoConfigIsNotEchoed() throws Exception {
    Path secret = Files.writeString(dir.resolve("shadow"), "root:$6$saltsalt$hashhashhash:19000:0:99999:7:::\n");
    Cli.Result r = Cli.run("headend", "--config", secret.toString(), "--db", dir.resolve("db/h").toString());
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.out() + r.err()).contains("not a head-end config").doesNotContain("hashhash").doesNotContain("root:");
  }

  @Test
  void anInvalidBindAddressIsCalledThatNotPortInUse() throws Exception {
    Cli.Result r = Cli.run("headend", "--http", "999.1.1.1:80", "--db", dir.resolve("db/h").toString());
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("invalid address 999.1.1.1").doesNotContain("already in use");
    Cli.Result foreign = Cli.run("headend", "--http", "192.0.2.1:8080", "--db", dir.resolve("db/h").toString(),
        "--keys-dir", dir.resolve("keys").toString());
    assertThat(foreign.exitCode()).isNotZero();
    assertThat(foreign.err()).contains("Cannot assign requested address").doesNotContain("already in use");
  }

  @Test
  void commandsThatNeedKeysSaySoBeforeAskingTheMeter() throws Exception {
    for (String command : new String[] {"disconnect", "reconnect"}) {
      Cli.Result r = Cli.run(command, "tcp://127.0.0.1:9");
      assertThat(r.exitCode()).as(command).isEqualTo(2);
      assertThat(r.err()).as(command).contains("needs the management client").contains("--keys")
          .doesNotContain("READ_WRITE_DENIED");
    }
  }

  @Test
  void aBadInstanceNameIsRefusedBeforeAnythingStarts() throws Exception {
    Cli.Result r = Cli.run("headend", "--instance", "he 1;drop", "--db", dir.resolve("db/h").toString(),
        "--keys-dir", dir.resolve("keys").toString());
    assertThat(r.exitCode()).isNotZero();
    assertThat(r.err()).contains("instance name: 1-128 letters, digits");
    assertThat(Files.exists(dir.resolve("db"))).as("no database opened").isFalse();
  }
}
