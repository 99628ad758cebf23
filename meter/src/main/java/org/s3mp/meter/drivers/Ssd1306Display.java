package org.s3mp.meter.drivers;

import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A 128x64 SSD1306 OLED on I2C, as fitted to many meter gateways. Text is laid out in lines and rendered with a
 * JDK font (headless AWT), packed into the controller's 8 pages of 128 column bytes, and written with i2c-tools'
 * {@code i2ctransfer} (the JDK cannot issue the i2c-dev ioctl itself; the display changes rarely).
 */
public final class Ssd1306Display implements Display {
  private static final Logger log = LoggerFactory.getLogger(Ssd1306Display.class);
  static final int WIDTH = 128;
  static final int HEIGHT = 64;
  /** Charge pump on, horizontal addressing, display on: the usual start-up of a 128x64 module. */
  static final int[] INIT = {0xAE, 0xD5, 0x80, 0xA8, 0x3F, 0xD3, 0x00, 0x40, 0x8D, 0x14, 0x20, 0x00, 0xA1, 0xC8,
      0xDA, 0x12, 0x81, 0xCF, 0xD9, 0xF1, 0xDB, 0x40, 0xA4, 0xA6, 0xAF};
  /** Whole screen as the write window: columns 0-127, pages 0-7. */
  static final int[] WINDOW = {0x21, 0x00, 0x7F, 0x22, 0x00, 0x07};

  private final String i2ctransfer;
  private final int bus;
  private final int address;

  public Ssd1306Display(String i2ctransfer, int bus, int address) throws IOException {
    this.i2ctransfer = i2ctransfer;
    this.bus = bus;
    this.address = address;
    command(INIT);
    show("");
  }

  @Override
  public void show(String text) throws IOException {
    command(WINDOW);
    byte[] frame = pages(render(text));
    // data in chunks, each prefixed by the data control byte 0x40
    for (int off = 0; off < frame.length; off += 256) {
      List<String> args = new ArrayList<>();
      args.add("0x40");
      for (int i = off; i < Math.min(frame.length, off + 256); i++) {
        args.add(String.format("0x%02x", frame[i] & 0xFF));
      }
      transfer(args);
    }
    log.info("display: \"{}\"", text);
  }

  private void command(int[] bytes) throws IOException {
    List<String> args = new ArrayList<>();
    args.add("0x00"); // control byte: commands follow
    for (int b : bytes) {
      args.add(String.format("0x%02x", b));
    }
    transfer(args);
  }

  private void transfer(List<String> bytes) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(i2ctransfer, "-y", Integer.toString(bus),
        "w" + bytes.size() + "@" + String.format("0x%02x", address)));
    cmd.addAll(bytes);
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException("i2ctransfer to the display did not finish");
      }
      if (p.exitValue() != 0) {
        throw new IOException("display on I2C bus " + bus + " address " + String.format("0x%02x", address)
            + ": " + new String(p.getInputStream().readAllBytes()).strip());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted writing to the display", e);
    }
  }

  /** The text as a 128x64 black-and-white image, word-wrapped into the lines that fit. */
  static BufferedImage render(String text) {
    BufferedImage img = new BufferedImage(WIDTH, HEIGHT, BufferedImage.TYPE_BYTE_BINARY);
    Graphics2D g = img.createGraphics();
    g.setColor(Color.BLACK);
    g.fillRect(0, 0, WIDTH, HEIGHT);
    g.setColor(Color.WHITE);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
    g.setFont(new Font(Font.MONOSPACED, Font.PLAIN, 11));
    var fm = g.getFontMetrics();
    int y = fm.getAscent();
    StringBuilder line = new StringBuilder();
    for (String word : text.split("\\s+")) {
      if (line.length() > 0 && fm.stringWidth(line + " " + word) > WIDTH) {
        g.drawString(line.toString(), 0, y);
        y += fm.getHeight();
        line.setLength(0);
      }
      line.append(line.length() > 0 ? " " : "").append(word);
    }
    g.drawString(line.toString(), 0, y);
    g.dispose();
    return img;
  }

  /** SSD1306 layout: 8 pages of 128 bytes; bit i of a byte is the pixel in row 8 * page + i. */
  static byte[] pages(BufferedImage img) {
    byte[] out = new byte[WIDTH * HEIGHT / 8];
    for (int page = 0; page < HEIGHT / 8; page++) {
      for (int x = 0; x < WIDTH; x++) {
        int b = 0;
        for (int bit = 0; bit < 8; bit++) {
          if ((img.getRGB(x, page * 8 + bit) & 0xFFFFFF) != 0) {
            b |= 1 << bit;
          }
        }
        out[page * WIDTH + x] = (byte) b;
      }
    }
    return out;
  }
}
