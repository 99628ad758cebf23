package org.s3mp.dlms.transport.scion;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;

/**
 * The meter's network-level access control: the SCION sources it accepts datagrams from, each a whole AS
 * ({@code ISD-AS}) or one host in it ({@code ISD-AS,HOST}). Everything else is dropped on arrival, before any DLMS
 * parsing or cryptography, so an attacker outside these addresses costs the meter one header check per packet.
 * {@link #open()} accepts everyone.
 */
public final class TrustedSources {
  /** One trusted source; {@code host} null means every host of the AS. */
  public record Source(IsdAs isdAs, InetAddress host) {
    boolean matches(ScionAddress a) {
      return a.isdAs().equals(isdAs) && (host == null || host.equals(a.host()));
    }

    @Override
    public String toString() {
      return host == null ? isdAs.toString() : isdAs + "," + host.getHostAddress();
    }
  }

  private static final TrustedSources OPEN = new TrustedSources(null);

  private final List<Source> sources; // null: open

  private TrustedSources(List<Source> sources) {
    this.sources = sources == null ? null : List.copyOf(sources);
  }

  /** Accepts datagrams from anyone. */
  public static TrustedSources open() {
    return OPEN;
  }

  /** Accepts datagrams only from these sources ({@code ISD-AS} or {@code ISD-AS,HOST} each); none: open. */
  public static TrustedSources parse(List<String> texts) {
    if (texts == null || texts.isEmpty()) {
      return OPEN;
    }
    List<Source> out = new ArrayList<>();
    for (String t : texts) {
      out.add(parseOne(t));
    }
    return new TrustedSources(out);
  }

  /** The {@link #format()} form: sources separated by spaces. Blank or null: open. */
  public static TrustedSources parseList(String text) {
    if (text == null || text.isBlank()) {
      return OPEN;
    }
    return parse(List.of(text.strip().split("\\s+")));
  }

  private static Source parseOne(String text) {
    String s = text == null ? "" : text.strip();
    try {
      if (s.indexOf(',') < 0) {
        return new Source(IsdAs.parse(s), null);
      }
      ScionAddress a = ScionAddress.parseHost(s);
      if (a.port() != 0) {
        throw new IllegalArgumentException("a trusted source has no port");
      }
      return new Source(a.isdAs(), a.host());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("trusted source must be ISD-AS or ISD-AS,HOST (e.g. 1-ff00:0:112 or "
          + "1-ff00:0:112,127.0.112.1): '" + text + "': " + e.getMessage(), e);
    }
  }

  public boolean isOpen() {
    return sources == null;
  }

  /** Whether a datagram from this source may reach the DLMS layer. */
  public boolean allows(ScionAddress source) {
    return sources == null || sources.stream().anyMatch(s -> s.matches(source));
  }

  /** The trusted sources (empty when open). */
  public List<Source> sources() {
    return sources == null ? List.of() : sources;
  }

  /** Space-separated, for {@link ScionTransport#TRUST}; empty when open. */
  public String format() {
    return sources == null ? "" : sources.stream().map(Source::toString).collect(Collectors.joining(" "));
  }

  @Override
  public String toString() {
    return sources == null ? "open" : format();
  }
}
