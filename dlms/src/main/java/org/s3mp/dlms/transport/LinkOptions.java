package org.s3mp.dlms.transport;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to open one link or endpoint: the response timeout and transport-specific parameters by name (the
 * constants below, and a transport's own). Parameters a transport
 * does not know are ignored, so the layers above can pass the same options to every transport.
 */
public record LinkOptions(Duration timeout, Map<String, String> parameters) {
  /** The SCION daemon ({@code IP:PORT}); default {@code SCION_DAEMON_ADDRESS}, then 127.0.0.1:30255. */
  public static final String SCION_DAEMON = "scion.daemon";
  /** The path policy, as JSON text or as the path of a JSON/YAML policy file (path-aware transports). */
  public static final String PATH_POLICY = "scion.policy";
  /** The DRKey protocol number for keys from the network (2-65535; default 4059, the DLMS port). */
  public static final String DRKEY_PROTOCOL = "scion.drkey.protocol";
  /** {@code true}: send with SCION EPIC-HP, over paths that offer it only (as the policy key {@code "epic": true}). */
  public static final String EPIC = "scion.epic";

  public LinkOptions {
    Objects.requireNonNull(timeout, "timeout");
    parameters = Map.copyOf(parameters == null ? Map.of() : parameters);
  }

  public static LinkOptions of(Duration timeout) {
    return new LinkOptions(timeout, Map.of());
  }

  /** A parameter, or null when not given or blank. */
  public String parameter(String name) {
    String v = parameters.get(name);
    return v == null || v.isBlank() ? null : v;
  }

  public LinkOptions with(String name, String value) {
    var m = new java.util.HashMap<>(parameters);
    if (value == null) {
      m.remove(name);
    } else {
      m.put(name, value);
    }
    return new LinkOptions(timeout, m);
  }
}
