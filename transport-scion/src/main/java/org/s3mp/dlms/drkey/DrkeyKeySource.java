package org.s3mp.dlms.drkey;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.daemon.DaemonException;
import org.s3mp.scion.daemon.DrKey;

/**
 * DLMS keys derived from SCION's DRKey (S3MP paper, III.C.1): for a meter and one client, the host-to-host key
 * with the client as the source and the meter as the destination, so both ends compute the same keys without any
 * key ever being configured, and the keys change every DRKey epoch. The source's AS derives the level-1 key from
 * its own secret; the meter's AS fetches it from the client's AS. That is the direction that works with hidden
 * paths: the head-end's AS is public, so the concentrator's control service finds a path to it, while the head-end
 * AS's control service (which never uses hidden segments itself) would find none to the concentrator. The
 * authentication and the encryption key come from HKDF-SHA256 with distinct labels; the raw DRKey is never used
 * directly. Keys are cached until their epoch ends. Thread-safe.
 */
public final class DrkeyKeySource {
  /** The DRKey protocol number S3MP uses for DLMS by default (the DLMS wrapper port; 0 and 1 are taken). */
  public static final int DEFAULT_PROTOCOL = 4059;
  private static final byte[] SALT = "S3MP DLMS over SCION, DRKey v1".getBytes(StandardCharsets.US_ASCII);
  private static final int CACHE_SIZE = 4096;

  private final DaemonClient daemon;
  private final int protocol;
  private final Clock clock;
  private final Map<String, DlmsKeys> cache = new LinkedHashMap<>();

  public DrkeyKeySource(DaemonClient daemon, int protocol, Clock clock) {
    if (protocol < 2 || protocol > 0xFFFF) {
      throw new IllegalArgumentException("DRKey protocol for DLMS must be 2-65535 (0 and 1 are reserved): " + protocol);
    }
    this.daemon = daemon;
    this.protocol = protocol;
    this.clock = clock;
  }

  public DrkeyKeySource(DaemonClient daemon) {
    this(daemon, DEFAULT_PROTOCOL, Clock.systemUTC());
  }

  public int protocol() {
    return protocol;
  }

  /** The keys of the current epoch for the pair (client = DRKey source, meter = destination). */
  public DlmsKeys current(ScionAddress meter, ScionAddress client) throws IOException {
    return keysAt(meter, client, clock.instant());
  }

  /** The keys of the epoch before the one containing {@code at} (accepted by the meter for a short grace). */
  public DlmsKeys previous(ScionAddress meter, ScionAddress client, DlmsKeys current) throws IOException {
    return keysAt(meter, client, current.epochBegin().minusMillis(1));
  }

  /** The keys valid at {@code at}. */
  public DlmsKeys keysAt(ScionAddress meter, ScionAddress client, Instant at) throws IOException {
    String pair = pair(meter, client);
    synchronized (cache) {
      for (Iterator<DlmsKeys> it = cache.values().iterator(); it.hasNext(); ) {
        if (it.next().epochEnd().isBefore(clock.instant().minus(Duration.ofDays(1)))) {
          it.remove();
        }
      }
      for (Map.Entry<String, DlmsKeys> e : cache.entrySet()) {
        DlmsKeys k = e.getValue();
        if (e.getKey().startsWith(pair + "@") && !at.isBefore(k.epochBegin()) && at.isBefore(k.epochEnd())) {
          return k;
        }
      }
    }
    DrKey raw;
    try {
      raw = daemon.drKeyHostHost(at, protocol, client, meter);
    } catch (DaemonException e) {
      throw new IOException("no DRKey for " + pair + " (protocol " + protocol + "): " + e.getMessage(), e);
    }
    DlmsKeys keys = derive(raw, meter, client);
    synchronized (cache) {
      if (cache.size() >= CACHE_SIZE) {
        cache.remove(cache.keySet().iterator().next());
      }
      cache.put(pair + "@" + keys.epochBegin(), keys);
    }
    return keys;
  }

  /**
   * The DLMS system title of a SCION host: "S3M" and 5 bytes of a hash of its ISD-AS and host address, so that
   * both ends know each other's title without configuration (the port is left out: clients use any port).
   */
  public static byte[] systemTitle(ScionAddress host) {
    byte[] h = Hkdf.extract(SALT, (host.isdAs() + "," + host.host().getHostAddress()).getBytes(StandardCharsets.US_ASCII));
    byte[] title = new byte[8];
    title[0] = 'S';
    title[1] = '3';
    title[2] = 'M';
    System.arraycopy(h, 0, title, 3, 5);
    return title;
  }

  private static String pair(ScionAddress meter, ScionAddress client) {
    return meter.isdAs() + "," + meter.host().getHostAddress() + ">" + client.isdAs() + ","
        + client.host().getHostAddress();
  }

  /** The keys of a DLMS association between {@code meter} and {@code client} from their DRKey. */
  static DlmsKeys derive(DrKey raw, ScionAddress meter, ScionAddress client) {
    String pair = pair(meter, client);
    byte[] prk = Hkdf.extract(SALT, raw.key());
    byte[] auth = Hkdf.expand(prk, info("dlms authentication key", pair, raw), 16);
    byte[] enc = Hkdf.expand(prk, info("dlms global unicast encryption key", pair, raw), 16);
    byte[] id = Hkdf.expand(prk, info("key id", pair, raw), 6);
    return new DlmsKeys(new KeysFile(auth, enc, systemTitle(client), systemTitle(meter)), raw.epochBegin(),
        raw.epochEnd(), HexFormat.of().formatHex(id));
  }

  private static byte[] info(String label, String pair, DrKey raw) {
    return (label + "|" + pair + "|" + raw.epochBegin().getEpochSecond()).getBytes(StandardCharsets.US_ASCII);
  }
}
