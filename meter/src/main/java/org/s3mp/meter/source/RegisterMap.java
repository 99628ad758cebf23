package org.s3mp.meter.source;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.ObisCode;

/**
 * Where each register of the meter's OBIS table sits in a Modbus meter. A map file has one point per line:
 *
 * <pre>
 * # OBIS          function  address  type  order  scale  unit
 * 1.0.32.7.0.255  3         0x0131   u16   big    0.01   V
 * </pre>
 *
 * function 3 (holding) or 4 (input registers); address 0-based (decimal or 0x hex); type u16, s16, u32, s32 or
 * f32 (one or two 16-bit words); order {@code big} (high word first) or {@code little}; value = raw × scale in
 * the given unit (k-prefixed units such as kW or kWh are converted to the DLMS unit). A line
 * {@code name = TEXT} names the meter. Shipped maps: {@code or-we-514}, {@code sdm120}, {@code sdm630}.
 */
public record RegisterMap(String name, List<Point> points) {

  public static final List<String> SHIPPED = List.of("or-we-514", "sdm120", "sdm630");

  /** Word types. */
  public enum Type {
    U16(1), S16(1), U32(2), S32(2), F32(2);

    final int words;

    Type(int words) {
      this.words = words;
    }
  }

  /** One register of the map; {@code factor} already includes the unit conversion. */
  public record Point(ObisCode obis, int function, int address, Type type, boolean bigEndianWords,
      BigDecimal factor) {
    public int words() {
      return type.words;
    }

    /** Physical value from the raw 16-bit words as read. */
    public BigDecimal decode(int[] words) {
      long raw;
      int hi = words[0] & 0xFFFF;
      int lo = words.length > 1 ? words[1] & 0xFFFF : 0;
      if (!bigEndianWords && words.length > 1) {
        int t = hi;
        hi = lo;
        lo = t;
      }
      switch (type) {
        case U16 -> raw = hi;
        case S16 -> raw = (short) hi;
        case U32 -> raw = ((long) hi << 16) | lo;
        case S32 -> raw = (int) ((hi << 16) | lo);
        case F32 -> {
          float f = Float.intBitsToFloat((hi << 16) | lo);
          if (Float.isNaN(f) || Float.isInfinite(f)) {
            throw new ArithmeticException("meter sent " + f);
          }
          return new BigDecimal(Float.toString(f)).multiply(factor);
        }
        default -> throw new IllegalStateException();
      }
      return BigDecimal.valueOf(raw).multiply(factor);
    }
  }

  public Optional<Point> point(ObisCode obis) {
    return points.stream().filter(p -> p.obis().equals(obis)).findFirst();
  }

  /** A shipped map by name, or a map file by path. */
  public static RegisterMap load(String nameOrFile) throws IOException {
    String lower = nameOrFile.toLowerCase(Locale.ROOT);
    if (SHIPPED.contains(lower)) {
      try (InputStream in = RegisterMap.class.getResourceAsStream("/org/s3mp/meter/maps/" + lower + ".map")) {
        if (in == null) {
          throw new IOException("shipped map missing from the jar: " + lower);
        }
        return parse(lower, new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    }
    Path file = Path.of(nameOrFile);
    if (!Files.isRegularFile(file)) {
      throw new IOException("no register map " + nameOrFile + " (shipped: " + String.join(", ", SHIPPED)
          + ", or a file)");
    }
    try {
      return parse(file.getFileName().toString(), Files.readString(file));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + ": " + e.getMessage(), e);
    }
  }

  public static RegisterMap parse(String defaultName, String text) {
    String name = defaultName;
    List<Point> points = new ArrayList<>();
    int lineNo = 0;
    for (String raw : text.split("\\R")) {
      lineNo++;
      String line = raw.replaceFirst("#.*", "").strip();
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("name") && line.contains("=")) {
        name = line.substring(line.indexOf('=') + 1).strip();
        continue;
      }
      String[] f = line.split("\\s+");
      if (f.length != 7) {
        throw new IllegalArgumentException("line " + lineNo + ": want OBIS function address type order scale unit");
      }
      try {
        ObisCode obis = ObisCode.parse(f[0]);
        if (MeterObjects.register(obis).isEmpty()) {
          throw new IllegalArgumentException(obis + " is not a register of the meter");
        }
        int function = Integer.parseInt(f[1]);
        if (function != 3 && function != 4) {
          throw new IllegalArgumentException("function must be 3 or 4");
        }
        int address = Integer.decode(f[2]);
        if (address < 0 || address > 0xFFFF) {
          throw new IllegalArgumentException("address out of range");
        }
        Type type = Type.valueOf(f[3].toUpperCase(Locale.ROOT));
        boolean big = switch (f[4].toLowerCase(Locale.ROOT)) {
          case "big" -> true;
          case "little" -> false;
          default -> throw new IllegalArgumentException("order must be big or little");
        };
        BigDecimal factor = new BigDecimal(f[5]).multiply(unitFactor(f[6], obis));
        if (points.stream().anyMatch(p -> p.obis().equals(obis))) {
          throw new IllegalArgumentException(obis + " mapped twice");
        }
        points.add(new Point(obis, function, address, type, big, factor));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + lineNo + ": " + e.getMessage(), e);
      }
    }
    if (points.isEmpty()) {
      throw new IllegalArgumentException("register map " + name + " has no points");
    }
    return new RegisterMap(name, List.copyOf(points));
  }

  /** Factor from the map's unit to the DLMS unit of the register (kW → W etc.). */
  private static BigDecimal unitFactor(String unit, ObisCode obis) {
    String want = MeterObjects.register(obis).orElseThrow().unit().symbol();
    String u = unit.equals("-") || unit.equalsIgnoreCase("none") ? "" : unit;
    if (u.equals(want)) {
      return BigDecimal.ONE;
    }
    if (u.length() > 1 && u.charAt(0) == 'k' && u.substring(1).equals(want)) {
      return BigDecimal.valueOf(1000);
    }
    throw new IllegalArgumentException("unit " + unit + " does not fit " + obis + " (want " + want
        + (want.isEmpty() ? "none" : "") + ")");
  }
}
