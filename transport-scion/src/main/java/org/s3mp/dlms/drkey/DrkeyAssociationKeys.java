package org.s3mp.dlms.drkey;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.server.AssociationKeys;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.scion.ScionPeer;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionAddress;

/**
 * The meter's side of DRKey-keyed DLMS: management associations only from trusted head-ends (by ISD-AS and host
 * address), and only with the keys derived for exactly the peer's address in the current epoch, or, for
 * {@code grace} after an epoch change, the previous epoch's. An association keeps its keys until their epoch
 * ended plus the grace; then the client must associate again.
 */
public final class DrkeyAssociationKeys implements AssociationKeys {
  /** A head-end the meter accepts management associations from: {@code ISD-AS,HOST}. */
  public record TrustedHeadEnd(IsdAs isdAs, InetAddress host) {
    public static TrustedHeadEnd parse(String text) {
      int comma = text == null ? -1 : text.indexOf(',');
      if (comma < 0) {
        throw new IllegalArgumentException("trusted head-end must be ISD-AS,HOST (e.g. 1-ff00:0:112,127.0.112.1): "
            + text);
      }
      ScionAddress a = ScionAddress.parseHost(text.strip());
      return new TrustedHeadEnd(a.isdAs(), a.host());
    }

    boolean matches(ScionAddress a) {
      return a.isdAs().equals(isdAs) && a.host().equals(host);
    }

    @Override
    public String toString() {
      return isdAs + "," + host.getHostAddress();
    }
  }

  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

  private final DrkeyKeySource source;
  private final ScionAddress meter;
  private final List<TrustedHeadEnd> trusted;
  private final Duration grace;
  private final Clock clock;
  private final KeysFile placeholder;
  private final Map<String, Instant> epochEnds = new ConcurrentHashMap<>();

  public DrkeyAssociationKeys(DrkeyKeySource source, ScionAddress meter, List<TrustedHeadEnd> trusted,
      Duration grace, Clock clock) {
    if (trusted.isEmpty()) {
      throw new IllegalArgumentException("DRKey mode needs at least one trusted head-end (--trust ISD-AS,HOST)");
    }
    this.source = source;
    this.meter = meter;
    this.trusted = List.copyOf(trusted);
    this.grace = grace;
    this.clock = clock;
    // random keys nobody knows: sessions that never associated as management client, and refusals
    this.placeholder = KeysFile.generate(new byte[] {'S', '3', 'M', 0, 0, 0, 0, 0}, DrkeyKeySource.systemTitle(meter));
  }

  @Override
  public List<KeysFile> candidates(Peer peer) throws IOException {
    if (!(peer instanceof ScionPeer p) || trusted.stream().noneMatch(t -> t.matches(p.address()))) {
      return List.of();
    }
    DlmsKeys current = source.current(meter, p.address());
    List<KeysFile> out = new ArrayList<>();
    out.add(remember(current));
    if (clock.instant().isBefore(current.epochBegin().plus(grace))) {
      out.add(remember(source.previous(meter, p.address(), current)));
    }
    return out;
  }

  private KeysFile remember(DlmsKeys keys) {
    KeysFile k = keys.keys();
    epochEnds.put(k.keyId(), keys.epochEnd());
    return k;
  }

  @Override
  public boolean stillValid(KeysFile keys) {
    Instant end = epochEnds.get(keys.keyId());
    return end == null || clock.instant().isBefore(end.plus(grace));
  }

  @Override
  public KeysFile placeholder() {
    return placeholder;
  }

  public List<TrustedHeadEnd> trusted() {
    return trusted;
  }
}
