package org.s3mp.scion;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.Objects;

/**
 * A SCION end-host address: ISD-AS, host IP and UDP port. Text form {@code 1-ff00:0:111,[127.0.0.1]:4059};
 * {@link #parseHost} also accepts the port-less form {@code 1-ff00:0:111,127.0.0.1} used by {@code scion ping}.
 * Host names are never resolved: only IP literals are accepted.
 */
public record ScionAddress(IsdAs isdAs, InetAddress host, int port) {

  public ScionAddress {
    Objects.requireNonNull(isdAs, "isdAs");
    Objects.requireNonNull(host, "host");
    if (port < 0 || port > 0xFFFF) {
      throw new IllegalArgumentException("port out of range 0-65535: " + port);
    }
  }

  /** Parses {@code ISD-AS,[IP]:PORT} strictly. */
  public static ScionAddress parse(String text) {
    ScionAddress a = parseHostOrFull(text, true);
    return a;
  }

  /** Parses {@code ISD-AS,IP}, {@code ISD-AS,[IP]} or {@code ISD-AS,[IP]:PORT}; a missing port is 0. */
  public static ScionAddress parseHost(String text) {
    return parseHostOrFull(text, false);
  }

  private static ScionAddress parseHostOrFull(String text, boolean portRequired) {
    if (text == null) {
      throw new IllegalArgumentException("SCION address is missing");
    }
    int comma = text.indexOf(',');
    if (comma < 0) {
      throw new IllegalArgumentException(
          "not a SCION address (expected ISD-AS,[IP]:PORT, e.g. 1-ff00:0:111,[127.0.0.1]:4059): '" + text + "'");
    }
    IsdAs ia = IsdAs.parse(text.substring(0, comma));
    String rest = text.substring(comma + 1);
    String hostText;
    int port = 0;
    if (rest.startsWith("[")) {
      int close = rest.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("missing ']' in SCION address '" + text + "'");
      }
      hostText = rest.substring(1, close);
      String tail = rest.substring(close + 1);
      if (tail.isEmpty()) {
        if (portRequired) {
          throw new IllegalArgumentException("missing :PORT in SCION address '" + text + "'");
        }
      } else if (tail.startsWith(":") && tail.length() > 1 && tail.length() <= 6
          && tail.substring(1).chars().allMatch(c -> c >= '0' && c <= '9')) {
        port = Integer.parseInt(tail.substring(1));
        if (port > 0xFFFF) {
          throw new IllegalArgumentException("port out of range in SCION address '" + text + "'");
        }
      } else {
        throw new IllegalArgumentException("bad port in SCION address '" + text + "'");
      }
    } else {
      if (portRequired) {
        throw new IllegalArgumentException(
            "host must be in brackets with a port ([IP]:PORT) in SCION address '" + text + "'");
      }
      hostText = rest;
    }
    return new ScionAddress(ia, parseIp(hostText, text), port);
  }

  /** Parses an IPv4 or IPv6 literal; never does a DNS lookup. */
  public static InetAddress parseIp(String ip, String context) {
    boolean v4 = ip.matches("(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}");
    boolean v6 = !v4 && ip.indexOf(':') >= 0 && ip.matches("[0-9a-fA-F:.]+");
    if (!v4 && !v6) {
      throw new IllegalArgumentException("not an IP address '" + ip + "' in '" + context + "'");
    }
    try {
      return InetAddress.getByName(ip); // a literal: no lookup happens
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("not an IP address '" + ip + "' in '" + context + "'");
    }
  }

  public InetSocketAddress socketAddress() {
    return new InetSocketAddress(host, port);
  }

  public ScionAddress withPort(int newPort) {
    return new ScionAddress(isdAs, host, newPort);
  }

  @Override
  public String toString() {
    String ip = host.getHostAddress();
    if (host instanceof Inet6Address) {
      int pct = ip.indexOf('%');
      if (pct >= 0) {
        ip = ip.substring(0, pct);
      }
    }
    return isdAs + ",[" + ip + "]:" + port;
  }

  public boolean isIpv4() {
    return host instanceof Inet4Address;
  }
}
