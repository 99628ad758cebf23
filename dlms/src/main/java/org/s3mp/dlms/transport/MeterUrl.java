package org.s3mp.dlms.transport;

import java.util.Objects;

/**
 * The address of a meter or a listening endpoint: {@code SCHEME://ADDRESS}, e.g. {@code tcp://127.0.0.1:4059} or
 * {@code scion://1-ff00:0:111,[127.0.0.1]:4059}. Our own type rather than {@link java.net.URI} because SCION
 * addresses ({@code ISD-AS,[IP]:PORT}) are not valid URI authorities; each transport parses its address part.
 */
public record MeterUrl(String scheme, String address) {

  public MeterUrl {
    Objects.requireNonNull(scheme, "scheme");
    Objects.requireNonNull(address, "address");
    if (!scheme.matches("[a-z][a-z0-9+.-]*")) {
      throw new IllegalArgumentException("bad URL scheme: " + scheme);
    }
    if (address.isEmpty()) {
      throw new IllegalArgumentException("URL without address: " + scheme + "://");
    }
  }

  /** Parses {@code scheme://address}; the scheme is case-insensitive. */
  public static MeterUrl parse(String text) {
    Objects.requireNonNull(text, "URL");
    int sep = text.indexOf("://");
    if (sep <= 0) {
      throw new IllegalArgumentException("not a meter URL (want e.g. tcp://HOST:PORT): " + text);
    }
    String address = text.substring(sep + 3);
    if (address.endsWith("/")) {
      address = address.substring(0, address.length() - 1);
    }
    return new MeterUrl(text.substring(0, sep).toLowerCase(), address);
  }

  /**
   * Splits an address of the form {@code HOST:PORT} or {@code [IPv6]:PORT}; used by IP-based transports.
   *
   * @return host (without brackets) and port
   */
  public HostPort hostPort() {
    String a = address;
    int colon = a.lastIndexOf(':');
    if (colon <= 0 || colon == a.length() - 1) {
      throw new IllegalArgumentException("want HOST:PORT in " + this);
    }
    String host = a.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(a.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in " + this);
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port out of range in " + this);
    }
    return new HostPort(host, port);
  }

  /** Host and port of an IP address part. */
  public record HostPort(String host, int port) {}

  @Override
  public String toString() {
    return scheme + "://" + address;
  }
}
