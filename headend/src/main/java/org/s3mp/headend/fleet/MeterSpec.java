package org.s3mp.headend.fleet;

import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.TransportProvider;
import org.s3mp.dlms.transport.Transports;
import java.util.regex.Pattern;

/**
 * One meter of the fleet as the operator configures it: where it is (URL), its security (keys file, or keys from
 * the network for SCION meters), its path policy (SCION meters), poll interval and whether its load profile is
 * collected. The head-end never looks behind the URL: the DLMS client picks the transport.
 */
public record MeterSpec(
    String id, String url, String keysFile, String policy, boolean drkey, int pollSeconds, boolean profile) {

  private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

  /** Checks every field; the message names the field and what is wrong with it. */
  public MeterSpec validated() {
    if (id == null || !ID.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "id: required, 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");
    }
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("url: required, e.g. tcp://127.0.0.1:4059");
    }
    if (url.contains("@")) {
      // a user:password@ part would be shown to every viewer of the fleet
      throw new IllegalArgumentException("url: must not contain credentials (user@ or user:password@)");
    }
    MeterUrl parsed;
    try {
      parsed = MeterUrl.parse(url);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("url: not a meter URL (tcp://HOST:PORT or scion://ISD-AS,[IP]:PORT): " + url);
    }
    TransportProvider transport;
    try {
      transport = Transports.forUrl(parsed);
      transport.checkUrl(parsed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("url: " + e.getMessage());
    }
    if (!transport.pathAware() && (drkey || (policy != null && !policy.isBlank()))) {
      // a path policy is a security property (geofencing): refuse it where it could not be enforced
      throw new IllegalArgumentException("drkey and policy need a path-aware meter URL (scion://), got " + url);
    }
    if (!drkey && (keysFile == null || keysFile.isBlank())) {
      throw new IllegalArgumentException("keysFile: required unless drkey is true");
    }
    if (pollSeconds < 0 || pollSeconds > 86_400) {
      throw new IllegalArgumentException("pollSeconds: 0 (no periodic polling) to 86400, got " + pollSeconds);
    }
    return this;
  }
}
