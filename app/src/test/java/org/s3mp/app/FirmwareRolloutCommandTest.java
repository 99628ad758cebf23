package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code s3mp firmware rollout} says what is wrong with its options before asking the head-end. */
class FirmwareRolloutCommandTest {
  @TempDir Path dir;

  @Test
  void startNeedsOneImageAndOneGroup() throws Exception {
    Cli.Result noImage = Cli.run("firmware", "rollout", "start", "--meters", "m1", "--token", "t");
    assertThat(noImage.exitCode()).isEqualTo(2);
    assertThat(noImage.err()).contains("--image FILE or --image-id ID");
    Cli.Result noGroup = Cli.run("firmware", "rollout", "start", "--image-id", "abc", "--token", "t");
    assertThat(noGroup.exitCode()).isEqualTo(2);
    assertThat(noGroup.err()).contains("--meters ID,... or --filter TEXT");
    Cli.Result both = Cli.run("firmware", "rollout", "start", "--image-id", "abc", "--meters", "m1", "--filter",
        "x", "--token", "t");
    assertThat(both.exitCode()).isEqualTo(2);
  }

  @Test
  void aMissingImageFileOrHeadendIsOneLine() throws Exception {
    Cli.Result missing = Cli.run("firmware", "rollout", "upload", "--image", dir.resolve("nope.img").toString(),
        "--token", "t");
    assertThat(missing.exitCode()).isEqualTo(2);
    assertThat(missing.err()).contains("--image: cannot read");
    Cli.Result down = Cli.run("firmware", "rollout", "list", "--headend", "http://127.0.0.1:9", "--token", "t");
    assertThat(down.exitCode()).isEqualTo(1);
    assertThat(down.err()).contains("not reachable");
  }
}
