package org.s3mp.dlms.transport;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to open one link or endpoint: the response timeout and transport-specific parameters by name (for
 * SCION: daemon address, local host, path policy; see the transport's constants). Parameters a transport
 * does not know are ignored, so the layers above can pass the same options to every transport.
 */
public record LinkOptions(Duration timeout, Map<String, String> parameters) {
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
