package org.s3mp.dlms.transport;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The transports on the class path, by URL scheme (registered in META-INF/services). */
public final class Transports {
  private Transports() {}

  private static volatile Map<String, TransportProvider> providers;

  /** The transport for a URL's scheme, or an IllegalArgumentException naming the known schemes. */
  public static TransportProvider forUrl(MeterUrl url) {
    TransportProvider p = all().get(url.scheme());
    if (p == null) {
      throw new IllegalArgumentException(
          "no transport for " + url.scheme() + ":// (available: " + String.join(", ", all().keySet()) + ")");
    }
    return p;
  }

  /** All transports by scheme. */
  public static Map<String, TransportProvider> all() {
    Map<String, TransportProvider> p = providers;
    if (p == null) {
      Map<String, TransportProvider> found = new TreeMap<>();
      for (TransportProvider t : ServiceLoader.load(TransportProvider.class, Transports.class.getClassLoader())) {
        found.putIfAbsent(t.scheme(), t);
      }
      providers = p = Map.copyOf(found);
    }
    return p;
  }
}
