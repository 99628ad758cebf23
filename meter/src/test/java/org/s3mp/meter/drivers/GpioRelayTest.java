package org.s3mp.meter.drivers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The GPIO relay against a simulated sysfs GPIO tree (the files a kernel exposes under /sys/class/gpio). */
class GpioRelayTest {
  @TempDir Path sysfs;

  private Path exportedLine(int n) throws IOException {
    Path line = Files.createDirectories(sysfs.resolve("gpio" + n));
    Files.writeString(line.resolve("direction"), "in");
    Files.writeString(line.resolve("value"), "0");
    return line;
  }

  @Test
  void drivesTheLineAndSetsItToOutput() throws IOException {
    Path line = exportedLine(17);
    GpioRelay relay = GpioRelay.open(sysfs, 17, false);
    assertThat(Files.readString(line.resolve("direction"))).isEqualTo("out");
    relay.set(true);
    assertThat(Files.readString(line.resolve("value"))).isEqualTo("1");
    relay.set(false);
    assertThat(Files.readString(line.resolve("value"))).isEqualTo("0");
  }

  @Test
  void activeLowInvertsTheLevel() throws IOException {
    Path line = exportedLine(4);
    GpioRelay relay = GpioRelay.open(sysfs, 4, true);
    relay.set(true);
    assertThat(Files.readString(line.resolve("value"))).isEqualTo("0");
  }

  @Test
  void exportsALineThatIsNotThereYet() throws Exception {
    Files.writeString(sysfs.resolve("export"), "");
    // the kernel answers an export by creating the line's files; here the test plays the kernel
    CompletableFuture<Path> kernel = CompletableFuture.supplyAsync(() -> {
      await("export written").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(5))
          .until(() -> !Files.readString(sysfs.resolve("export")).isEmpty());
      try {
        return exportedLine(Integer.parseInt(Files.readString(sysfs.resolve("export")).strip()));
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    GpioRelay relay = GpioRelay.open(sysfs, 22, false);
    assertThat(kernel.get(10, TimeUnit.SECONDS)).isEqualTo(sysfs.resolve("gpio22"));
    relay.set(true);
    assertThat(Files.readString(sysfs.resolve("gpio22").resolve("value"))).isEqualTo("1");
  }

  @Test
  void noGpioInterfaceIsAClearError() {
    assertThatThrownBy(() -> GpioRelay.open(sysfs.resolve("nothing"), 5, false))
        .isInstanceOf(IOException.class).hasMessageContaining("no GPIO interface");
  }
}
