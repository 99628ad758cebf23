package org.s3mp.scion;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.s3mp.scion.daemon.PortRange;

/**
 * What an end host that only answers needs to know of its AS, read from the AS's scionproto topology file
 * ({@code topology.json}: {@code isd_as}, {@code mtu}, {@code dispatched_ports}) instead of asked of the SCION
 * daemon: a meter with static keys then needs no daemon connection, and no gRPC in its JVM.
 */
public record AsTopology(IsdAs isdAs, int mtu, PortRange dispatchedPorts) {
  private static final JsonFactory JSON = new JsonFactory();

  /** Reads a topology file; IOException naming the file when it cannot be read or lacks one of the three. */
  public static AsTopology read(Path file) throws IOException {
    try {
      return parse(Files.readString(file));
    } catch (IllegalArgumentException | IOException e) {
      throw new IOException("SCION topology " + file + ": " + e.getMessage(), e);
    }
  }

  static AsTopology parse(String json) throws IOException {
    // Jackson's streaming parser, not its ObjectMapper: a meter otherwise loads ~400 classes for three fields
    String ia = null;
    Integer mtu = null;
    String ports = null;
    try (JsonParser p = JSON.createParser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "isd_as" -> ia = value == JsonToken.VALUE_STRING ? p.getText() : null;
          case "mtu" -> mtu = value == JsonToken.VALUE_NUMBER_INT ? p.getIntValue() : null;
          case "dispatched_ports" -> ports = value == JsonToken.VALUE_STRING ? p.getText() : null;
          default -> p.skipChildren();
        }
      }
    }
    if (ia == null) {
      throw new IllegalArgumentException("no isd_as");
    }
    if (mtu == null || mtu < 1280 || mtu > 0xFFFF) {
      throw new IllegalArgumentException("no mtu of 1280 to 65535 bytes: " + mtu);
    }
    if (ports == null) {
      // scionproto's own default has changed between releases: only the daemon can say then
      throw new IllegalArgumentException("no dispatched_ports (ask the daemon instead)");
    }
    return new AsTopology(IsdAs.parse(ia), mtu, portRange(ports));
  }

  /** {@code START-END} or {@code all}, as scionproto writes it. */
  private static PortRange portRange(String text) {
    if (text.strip().equalsIgnoreCase("all")) {
      return new PortRange(1, 0xFFFF);
    }
    String[] parts = text.strip().split("-", -1);
    if (parts.length != 2) {
      throw new IllegalArgumentException("dispatched_ports is not START-END: '" + text + "'");
    }
    try {
      return new PortRange(Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip()));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("dispatched_ports is not START-END: '" + text + "'", e);
    }
  }
}
