package org.s3mp.meter.drivers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SSD1306 driver against a simulated peer: an i2ctransfer stand-in that records every I2C write. */
class Ssd1306DisplayTest {
  @TempDir Path dir;

  private Path fakeI2cTransfer(int exitCode) throws IOException {
    Path log = dir.resolve("i2c.log");
    Path tool = dir.resolve("i2ctransfer");
    Files.writeString(tool, "#!/bin/sh\necho \"$@\" >> " + log + "\nexit " + exitCode + "\n");
    Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwx------"));
    return tool;
  }

  @Test
  void initialisesTheControllerAndWritesTheTextAsPages() throws IOException {
    Path tool = fakeI2cTransfer(0);
    Ssd1306Display display = new Ssd1306Display(tool.toString(), 1, 0x3c);
    Files.delete(dir.resolve("i2c.log"));
    display.show("Maintenance on Friday 8-10");

    List<String> writes = Files.readAllLines(dir.resolve("i2c.log"));
    assertThat(writes.get(0)).startsWith("-y 1 w7@0x3c 0x00 0x21 0x00 0x7f 0x22 0x00 0x07");
    // the frame: 1024 data bytes after the 0x40 control byte of each write
    List<Integer> frame = new ArrayList<>();
    for (String w : writes.subList(1, writes.size())) {
      String[] f = w.split(" ");
      assertThat(f[3]).isEqualTo("0x40");
      for (int i = 4; i < f.length; i++) {
        frame.add(Integer.decode(f[i]));
      }
    }
    assertThat(frame).hasSize(1024);
    // decode the pages back into pixels, independently of the driver's packing, and compare with the text
    BufferedImage expected = Ssd1306Display.render("Maintenance on Friday 8-10");
    int lit = 0;
    for (int y = 0; y < 64; y++) {
      for (int x = 0; x < 128; x++) {
        boolean on = (frame.get((y / 8) * 128 + x) >> (y % 8) & 1) == 1;
        assertThat(on).as("pixel %d,%d", x, y).isEqualTo((expected.getRGB(x, y) & 0xFFFFFF) != 0);
        lit += on ? 1 : 0;
      }
    }
    assertThat(lit).as("some text is drawn").isGreaterThan(100);
  }

  @Test
  void anEmptyMessageClearsTheScreen() {
    byte[] frame = Ssd1306Display.pages(Ssd1306Display.render(""));
    assertThat(frame).hasSize(1024).containsOnly((byte) 0);
  }

  @Test
  void aMissingDisplayIsAClearError() throws IOException {
    Path tool = fakeI2cTransfer(1);
    assertThatThrownBy(() -> new Ssd1306Display(tool.toString(), 1, 0x3c))
        .isInstanceOf(IOException.class).hasMessageContaining("I2C bus 1 address 0x3c");
  }
}
