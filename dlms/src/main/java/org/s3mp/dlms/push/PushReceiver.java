package org.s3mp.dlms.push;

import gurux.dlms.GXDLMSClient;
import gurux.dlms.GXDateTime;
import gurux.dlms.GXReplyData;
import gurux.dlms.enums.Authentication;
import gurux.dlms.enums.DataType;
import gurux.dlms.enums.InterfaceType;
import gurux.dlms.enums.Security;
import gurux.dlms.secure.GXDLMSSecureClient;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.MeterObjects.RegisterDef;
import org.s3mp.dlms.ObisCode;
import org.s3mp.dlms.client.RegisterReading;
import org.s3mp.dlms.cosem.PushObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.security.ReusedGcmCiphers;
import org.s3mp.dlms.transport.LinkOptions;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.Transports;
import org.s3mp.dlms.transport.WrapperPdu;

/**
 * A push listener's DLMS side: takes Data-Notifications (general-glo-ciphering) from any transport endpoint,
 * finds the sending meter by the system title in the frame, decrypts and authenticates with that meter's keys,
 * and accepts a notification only with an invocation counter above the last one accepted from that meter.
 * Everything else is refused and counted by reason; nothing is ever answered (pushes are unconfirmed).
 */
public final class PushReceiver implements PduHandler {
  static {
    ReusedGcmCiphers.install(); // Gurux makes a cipher per message otherwise
  }

  /** Gurux logs every failed decryption through java.util.logging at SEVERE; refusals are reported here. */
  private static final java.util.logging.Logger GURUX_LOG = java.util.logging.Logger.getLogger("gurux");

  static {
    GURUX_LOG.setLevel(java.util.logging.Level.OFF);
  }

  /** A meter the listener knows: its id and keys. */
  public record Sender(String meterId, KeysFile keys) {}

  /** The known meters by the server system title of their keys. */
  @FunctionalInterface
  public interface Senders {
    Optional<Sender> bySystemTitle(byte[] systemTitle);
  }

  /** The last accepted invocation counter per meter, persisted by the head-end so a restart accepts no replay. */
  public interface Counters {
    /** The last counter accepted from the meter, -1 for none. */
    long lastAccepted(String meterId);

    void accepted(String meterId, long counter);

    /** Counters in memory (the CLI listener). */
    static Counters inMemory() {
      Map<String, Long> last = new ConcurrentHashMap<>();
      return new Counters() {
        @Override
        public long lastAccepted(String meterId) {
          return last.getOrDefault(meterId, -1L);
        }

        @Override
        public void accepted(String meterId, long counter) {
          last.put(meterId, counter);
        }
      };
    }
  }

  /** Why a notification was refused. */
  public enum Refusal {
    /** No meter with the frame's system title. */
    UNKNOWN_METER,
    /** It did not authenticate with the meter's keys. */
    WRONG_KEYS,
    /** Its invocation counter is not above the last accepted one. */
    REPLAYED,
    /** Not a ciphered Data-Notification of one of the meter's push setups. */
    MALFORMED
  }

  /** What becomes of each notification. Called on the transport's threads. */
  public interface Listener {
    void accepted(Sender sender, Notification notification);

    /** {@code detail} never contains key material; {@code from} is the transport's peer id. */
    void refused(Refusal reason, String from, String detail);
  }

  private final Senders senders;
  private final Counters counters;
  private final Listener listener;
  private final Map<Refusal, AtomicLong> refusals = new EnumMap<>(Refusal.class);
  private final AtomicLong accepted = new AtomicLong();

  public PushReceiver(Senders senders, Counters counters, Listener listener) {
    this.senders = senders;
    this.counters = counters;
    this.listener = listener;
    for (Refusal r : Refusal.values()) {
      refusals.put(r, new AtomicLong());
    }
  }

  /** Listens on a URL of any transport (e.g. tcp://127.0.0.1:4065); closing the endpoint stops it. */
  public ServerEndpoint listen(MeterUrl url, LinkOptions options) throws IOException {
    return Transports.forUrl(url).listen(url, this, options);
  }

  public long accepted() {
    return accepted.get();
  }

  public long refused(Refusal reason) {
    return refusals.get(reason).get();
  }

  @Override
  public void received(Peer peer, byte[] pdu, ServerEndpoint endpoint) {
    handle(pdu, peer.id());
  }

  /** Decodes one wrapper PDU; returns the accepted notification, or null when it was refused. */
  public Notification handle(byte[] pdu, String from) {
    Header h = header(pdu);
    if (h == null) {
      return refuse(Refusal.MALFORMED, from, "not a ciphered Data-Notification");
    }
    String title = HexFormat.of().formatHex(h.systemTitle());
    Optional<Sender> sender = senders.bySystemTitle(h.systemTitle());
    if (sender.isEmpty()) {
      return refuse(Refusal.UNKNOWN_METER, from, "system title " + title);
    }
    Notification n;
    try {
      n = decode(pdu, sender.get().keys(), title, h.counter());
    } catch (WrongKeysException e) {
      return refuse(Refusal.WRONG_KEYS, from, "meter " + sender.get().meterId() + ": " + e.getMessage());
    } catch (IllegalArgumentException e) {
      return refuse(Refusal.MALFORMED, from, "meter " + sender.get().meterId() + ": " + e.getMessage());
    }
    String id = sender.get().meterId();
    synchronized (this) {
      long last = counters.lastAccepted(id);
      if (h.counter() <= last) {
        return refuse(Refusal.REPLAYED, from, "meter " + id + ": invocation counter " + h.counter()
            + " (last accepted " + last + ")");
      }
      counters.accepted(id, h.counter());
    }
    accepted.incrementAndGet();
    listener.accepted(sender.get(), n);
    return n;
  }

  private Notification refuse(Refusal reason, String from, String detail) {
    refusals.get(reason).incrementAndGet();
    listener.refused(reason, from, detail);
    return null;
  }

  /** System title and invocation counter of a general-glo-ciphering APDU, read before anything is decrypted. */
  record Header(byte[] systemTitle, long counter) {}

  static Header header(byte[] pdu) {
    if (WrapperPdu.checkPdu(pdu, 0xFFFF) != null || pdu.length < WrapperPdu.HEADER_LENGTH + 2) {
      return null;
    }
    int pos = WrapperPdu.HEADER_LENGTH;
    if ((pdu[pos++] & 0xFF) != 0xDB) { // general-glo-ciphering
      return null;
    }
    int titleLength = pdu[pos++] & 0xFF;
    if (titleLength != 8 || pos + titleLength >= pdu.length) {
      return null;
    }
    byte[] title = java.util.Arrays.copyOfRange(pdu, pos, pos + titleLength);
    pos += titleLength;
    int first = pdu[pos] & 0xFF;
    pos += first < 0x80 ? 1 : 1 + (first & 0x7F); // A-XDR length
    pos += 1; // security control
    if (pos + 4 > pdu.length) {
      return null;
    }
    long counter = ((pdu[pos] & 0xFFL) << 24) | ((pdu[pos + 1] & 0xFFL) << 16) | ((pdu[pos + 2] & 0xFFL) << 8)
        | (pdu[pos + 3] & 0xFFL);
    return new Header(title, counter);
  }

  static final class WrongKeysException extends Exception {
    WrongKeysException(String message) {
      super(message);
    }
  }

  static Notification decode(byte[] pdu, KeysFile keys, String title, long counter) throws WrongKeysException {
    GXDLMSSecureClient dlms = new GXDLMSSecureClient(true, MeterObjects.PUSH_CLIENT, MeterObjects.LOGICAL_DEVICE,
        Authentication.NONE, null, InterfaceType.WRAPPER);
    dlms.getCiphering().setSecurity(Security.AUTHENTICATION_ENCRYPTION);
    dlms.getCiphering().setSystemTitle(keys.clientSystemTitle());
    dlms.getCiphering().setAuthenticationKey(keys.authenticationKey());
    dlms.getCiphering().setBlockCipherKey(keys.encryptionKey());
    GXReplyData reply = new GXReplyData();
    GXReplyData notify = new GXReplyData();
    try {
      dlms.getData(pdu, reply, notify);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new WrongKeysException("authentication tag does not match the meter's keys");
    } catch (Exception e) {
      if (e.getCause() instanceof javax.crypto.AEADBadTagException) {
        throw new WrongKeysException("authentication tag does not match the meter's keys");
      }
      throw new IllegalArgumentException("undecodable notification: " + e);
    }
    if (!notify.isComplete() || notify.isMoreData() || !(notify.getValue() instanceof List<?> list)
        || list.size() < PushObjects.FIRST_VALUE || !(list.get(0) instanceof byte[] ln) || ln.length != 6) {
      throw new IllegalArgumentException("not a push of this meter's push setups");
    }
    ObisCode setup = new ObisCode(ln[0] & 0xFF, ln[1] & 0xFF, ln[2] & 0xFF, ln[3] & 0xFF, ln[4] & 0xFF,
        ln[5] & 0xFF);
    java.time.Instant time = meterTime(list.get(1));
    if (setup.equals(MeterObjects.PUSH_REGISTERS)) {
      if (list.size() != PushObjects.FIRST_VALUE + MeterObjects.REGISTERS.size()) {
        throw new IllegalArgumentException("registers push with " + list.size() + " values");
      }
      List<RegisterReading> values = new ArrayList<>();
      for (int i = 0; i < MeterObjects.REGISTERS.size(); i++) {
        RegisterDef def = MeterObjects.REGISTERS.get(i);
        if (!(list.get(PushObjects.FIRST_VALUE + i) instanceof Number v)) {
          throw new IllegalArgumentException(def.obis() + ": not a number");
        }
        BigInteger raw = v instanceof BigInteger b ? b : BigInteger.valueOf(v.longValue());
        values.add(new RegisterReading(def.obis(), new BigDecimal(raw).scaleByPowerOfTen(def.scaler()),
            def.unit().symbol()));
      }
      return new Notification(title, counter, setup, time, values, null, null);
    }
    if (setup.equals(MeterObjects.PUSH_EVENTS)) {
      if (list.size() != PushObjects.FIRST_VALUE + 2 || !(list.get(2) instanceof Number code)
          || !(list.get(3) instanceof Boolean relay)) {
        throw new IllegalArgumentException("malformed events push");
      }
      MeterEvent event = MeterEvent.forCode(code.intValue());
      if (event == null) {
        throw new IllegalArgumentException("unknown event code " + code);
      }
      return new Notification(title, counter, setup, time, List.of(), event, relay);
    }
    throw new IllegalArgumentException("push from unknown push setup " + setup);
  }

  private static java.time.Instant meterTime(Object v) {
    try {
      Object t = v instanceof byte[] b ? GXDLMSClient.changeType(b, DataType.DATETIME) : v;
      if (t instanceof GXDateTime dt) {
        return dt.getMeterCalendar().toInstant();
      }
    } catch (RuntimeException e) {
      // reported below
    }
    throw new IllegalArgumentException("bad clock value in push");
  }
}
