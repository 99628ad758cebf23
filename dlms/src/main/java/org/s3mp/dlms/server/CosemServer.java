package org.s3mp.dlms.server;

import gurux.dlms.GXServerReply;
import gurux.dlms.enums.InterfaceType;
import gurux.dlms.enums.Security;
import gurux.dlms.objects.GXDLMSPushSetup;
import gurux.dlms.secure.GXDLMSSecureNotify;
import java.io.IOException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.security.ReusedGcmCiphers;
import org.s3mp.dlms.transport.PduHandler;
import org.s3mp.dlms.transport.Peer;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.WrapperPdu;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The meter's DLMS/COSEM server behind any number of transport endpoints: one Gurux server instance (one
 * association) per peer, with the invocation counters shared per key and persisted through a
 * {@link CounterStore}. Requests are processed one at a time (a meter's load is tiny, and shared counters and
 * meter state stay consistent without finer locking).
 *
 * <p>Replay protection: Gurux refuses a client counter below the stored floor but accepts an equal one, and it
 * stores a frame's counter before checking its authentication tag. So the floor is raised here, to the last
 * counter + 1, and only after the request was answered in a ciphered form (i.e. it decrypted); a forged or
 * garbled frame cannot move it.
 */
public final class CosemServer implements PduHandler {
  static {
    ReusedGcmCiphers.install(); // Gurux makes a cipher per message otherwise
  }

  private static final Logger log = LoggerFactory.getLogger(CosemServer.class);
  /** Peers (associations) kept; the least recently used goes first (datagram peers never "close"). */
  static final int MAX_SESSIONS = 64;
  /** Gurux logs every refused frame through java.util.logging at SEVERE; we report refusals ourselves. */
  private static final java.util.logging.Logger GURUX_LOG = java.util.logging.Logger.getLogger("gurux");

  static {
    GURUX_LOG.setLevel(java.util.logging.Level.OFF);
  }

  private final MeterBackend backend;
  private final AssociationKeys keys;
  private final CounterStore counters;
  private final Object lock = new Object();
  /** Nanoseconds, for the inactivity time-out (tests step it). */
  LongSupplier clock = System::nanoTime;
  private final Map<Peer, Session> sessions = new LinkedHashMap<>(16, 0.75f, true);
  /** Key ids by keys: a key id is a SHA-256, too dear to compute on every request (guarded by lock). */
  private final Map<KeysFile, String> keyIds = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<KeysFile, String> eldest) {
      return size() > 2 * MAX_SESSIONS;
    }
  };

  private static final class Session {
    AssociationServer server;
    KeysFile keys;
    byte[] lastRequest;
    byte[] lastResponse;
    /** Whether {@link AssociationKeys#established} was told about this session's management association. */
    boolean established;
    /** Whether the association answered a request since it was created or reset, and when ({@link #clock}). */
    boolean answered;
    long lastAnswered;

    Session(AssociationServer server, KeysFile keys) {
      this.server = server;
      this.keys = keys;
    }
  }

  /** A server with static keys (a keys file). */
  public CosemServer(MeterBackend backend, KeysFile keys, CounterStore counters) {
    this(backend, AssociationKeys.fixed(keys), counters);
  }

  /** A server whose management keys depend on the peer (DRKey). */
  public CosemServer(MeterBackend backend, AssociationKeys keys, CounterStore counters) {
    this.backend = backend;
    this.keys = keys;
    this.counters = counters;
  }

  /**
   * The Data-Notification frames of a push setup, ciphered with {@code k} and the meter's own next invocation
   * counters (the counters of its responses under the same keys: a counter is never used twice, across pushes,
   * responses and restarts). {@code fill} sets the pushed objects' values; it runs under the request lock, like
   * every other use of the backend.
   */
  byte[][] notification(KeysFile k, GXDLMSPushSetup push, Runnable fill) throws Exception {
    synchronized (lock) {
      fill.run();
      String keyId = keyIds.computeIfAbsent(k, KeysFile::keyId);
      GXDLMSSecureNotify notify = new GXDLMSSecureNotify(true, MeterObjects.PUSH_CLIENT,
          MeterObjects.LOGICAL_DEVICE, InterfaceType.WRAPPER);
      notify.getCiphering().setSecurity(Security.AUTHENTICATION_ENCRYPTION);
      notify.getCiphering().setSystemTitle(k.serverSystemTitle());
      notify.getCiphering().setAuthenticationKey(k.authenticationKey());
      notify.getCiphering().setBlockCipherKey(k.encryptionKey());
      notify.getCiphering().setInvocationCounter(counters.serverCounter(keyId));
      byte[][] frames = notify.generatePushSetupMessages(null, push);
      counters.serverCounterAdvanced(keyId, notify.getCiphering().getInvocationCounter());
      return frames;
    }
  }

  /** Number of peers with an association state. */
  public int sessions() {
    synchronized (lock) {
      return sessions.size();
    }
  }

  @Override
  public void received(Peer peer, byte[] pdu, ServerEndpoint endpoint) {
    byte[] reply;
    try {
      reply = handle(peer, pdu, endpoint.datagram());
    } catch (RuntimeException e) {
      // never let one request take the server down; the peer gets no answer
      log.warn("request from {} failed: {}", peer.id(), e.toString());
      return;
    }
    if (reply != null) {
      try {
        endpoint.send(peer, reply);
      } catch (IOException e) {
        log.debug("cannot answer {}: {}", peer.id(), e.getMessage());
      }
    }
  }

  @Override
  public void closed(Peer peer) {
    synchronized (lock) {
      sessions.remove(peer);
    }
  }

  @Override
  public boolean associated(Peer peer) {
    synchronized (lock) {
      Session s = sessions.get(peer);
      return s != null && s.server.associated;
    }
  }

  /** Processes one wrapper PDU from a peer; returns the response PDU or null (dropped). */
  byte[] handle(Peer peer, byte[] pdu, boolean datagram) {
    if (WrapperPdu.checkPdu(pdu, 0xFFFF) != null) {
      log.debug("dropping malformed PDU from {}", peer.id());
      return null;
    }
    synchronized (lock) {
      Session s = sessions.get(peer);
      if (s == null) {
        KeysFile placeholder = keys.placeholder();
        s = new Session(new AssociationServer(backend, placeholder), placeholder);
        sessions.put(peer, s);
        if (sessions.size() > MAX_SESSIONS) {
          Peer eldest = sessions.keySet().iterator().next();
          sessions.remove(eldest);
        }
      }
      if (datagram && s.lastRequest != null && Arrays.equals(pdu, s.lastRequest)) {
        // a retransmission after a lost response: same answer, nothing executed twice
        return s.lastResponse;
      }
      byte[] reply = process(peer, s, pdu);
      if (datagram) {
        s.lastRequest = pdu.clone();
        s.lastResponse = reply;
      }
      return reply;
    }
  }

  private byte[] process(Peer peer, Session s, byte[] pdu) {
    int tag = pdu.length > WrapperPdu.HEADER_LENGTH ? pdu[WrapperPdu.HEADER_LENGTH] & 0xFF : -1;
    int clientSap = WrapperPdu.sourcePort(pdu);
    boolean aarq = tag == 0x60;
    Attempt result;
    if (aarq && clientSap == MeterObjects.MANAGEMENT_CLIENT) {
      result = associateManagement(peer, s, pdu, tag);
    } else {
      if (aarq) {
        // a new association from this peer replaces the previous one
        s.server.reset();
      } else {
        if (!keys.stillValid(s.keys)) {
          // the association's keys expired (DRKey epoch over): the client has to associate again
          s.server.reset();
          s.answered = false;
        }
        if (released(s)) {
          // the wrapper's inactivity time-out, as Gurux applied it (its own check is off, see AssociationServer):
          // after 180 s without a request, and on an association that was reset, requests other than an AARQ
          // are dropped until the client associates again (Gurux would otherwise answer them)
          log.debug("no association with {} (released, or idle for {} s): request dropped", peer.id(),
              s.server.inactivityTimeoutSeconds());
          s.server.reset();
          s.answered = false;
          return null;
        }
      }
      // the public client reads the invocation counter floor of the keys this peer's management client will use
      KeysFile counterKeys = clientSap == MeterObjects.PUBLIC_CLIENT ? preferredKeys(peer, s.keys) : s.keys;
      result = attempt(s.server, counterKeys, pdu, tag, aarq);
    }
    if (result.reply() != null) {
      s.answered = true;
      s.lastAnswered = clock.getAsLong();
    }
    if (clientSap == MeterObjects.MANAGEMENT_CLIENT && !s.established && s.server.authenticated()
        && result.failure() == null) {
      // HLS passed: transferred keys used for the first time are confirmed (and the old ones retired)
      s.established = true;
      try {
        keys.established(s.keys);
      } catch (IOException | RuntimeException e) {
        log.warn("confirming keys {}: {}", keyIds.computeIfAbsent(s.keys, KeysFile::keyId), e.getMessage());
      }
    }
    if ((clientSap == MeterObjects.MANAGEMENT_CLIENT || isCipheredRequest(tag)) && result.failure() != null) {
      log.info("authentication failure from {}: {}", peer.id(), result.failure());
      backend.authenticationFailed(peer.id(), result.failure());
    }
    return result.reply();
  }

  private boolean released(Session s) {
    long timeout = s.server.inactivityTimeoutSeconds();
    return timeout > 0 && (!s.answered || clock.getAsLong() - s.lastAnswered >= timeout * 1_000_000_000L);
  }

  private KeysFile preferredKeys(Peer peer, KeysFile fallback) {
    try {
      List<KeysFile> c = keys.candidates(peer);
      return c.isEmpty() ? fallback : c.get(0);
    } catch (IOException e) {
      return fallback;
    }
  }

  /** Tries the peer's candidate keys on a fresh association each, keeping the first that is accepted. */
  private Attempt associateManagement(Peer peer, Session s, byte[] pdu, int tag) {
    List<KeysFile> candidates;
    try {
      candidates = keys.candidates(peer);
    } catch (IOException e) {
      log.warn("no keys for {}: {}", peer.id(), e.getMessage());
      candidates = List.of();
    }
    if (candidates.isEmpty()) {
      // answer as the meter would to wrong keys, so the peer learns nothing more
      AssociationServer refusing = new AssociationServer(backend, keys.placeholder());
      Attempt a = attempt(refusing, keys.placeholder(), pdu, tag, true);
      return new Attempt(a.reply(), "management association from a peer that is not a trusted head-end");
    }
    Attempt last = null;
    for (KeysFile k : candidates) {
      AssociationServer server = new AssociationServer(backend, k);
      server.keyTransfer((ak, ek) -> keys.transferred(k, k.withKeys(ak, ek)));
      last = attempt(server, k, pdu, tag, true);
      if (last.failure() == null) {
        s.server = server;
        s.keys = k;
        s.established = false;
        return last;
      }
    }
    return last;
  }

  /** One request on one association: the reply, and why it counts as an authentication failure (or null). */
  private record Attempt(byte[] reply, String failure) {}

  private Attempt attempt(AssociationServer server, KeysFile k, byte[] pdu, int tag, boolean aarq) {
    String keyId = keyIds.computeIfAbsent(k, KeysFile::keyId);
    long floor = counters.clientFloor(keyId);
    long counter = aarq ? -1 : requestInvocationCounter(pdu);
    if (counter >= 0 && counter < floor) {
      // refused before Gurux sees it: Gurux would not execute it either, but answers with a broken response and
      // leaves the association unusable for the genuine client
      return new Attempt(null, "replayed invocation counter " + counter + " (expected " + floor + " or more)");
    }
    server.invocationCounterObject().setValue(floor);
    // set before every request: Gurux resets its own counter with the association
    server.getCiphering().setInvocationCounter(counters.serverCounter(keyId));
    server.invalidConnection = false;
    GXServerReply sr = new GXServerReply(pdu);
    // Gurux asks for a new javax.crypto.Cipher for every encryption and decryption; ReusedGcmCiphers serves it
    try {
      server.handleRequest(sr);
    } catch (Exception e) {
      log.debug("request refused: {}", e.toString());
      sr.setReply(null);
    }
    // Gurux writes the release response's lengths short; everything else it emits is well-formed
    byte[] reply = ReleaseResponse.wellFormed(sr.getReply());
    counters.serverCounterAdvanced(keyId, server.getCiphering().getInvocationCounter());

    boolean answeredCiphered = reply != null && isCipheredAnswer(reply);
    Object seen = server.invocationCounterObject().getValue();
    if (seen instanceof Number n && n.longValue() != floor && answeredCiphered) {
      counters.raiseClientFloor(keyId, n.longValue() + 1);
    }
    String failure = null;
    if (server.invalidConnection) {
      failure = "HLS authentication failed";
    } else if (aarq && !aareAccepted(reply)) {
      failure = "association refused";
    } else if (isCipheredRequest(tag) && !answeredCiphered) {
      failure = "request could not be decrypted or was replayed";
    }
    return new Attempt(reply, failure);
  }

  /**
   * The invocation counter of a glo-/ded- ciphered request or general-glo/ded-ciphering (the security header
   * follows the length), or -1 for other APDUs and frames too short to say.
   */
  static long requestInvocationCounter(byte[] pdu) {
    int pos = WrapperPdu.HEADER_LENGTH;
    if (pdu.length <= pos) {
      return -1;
    }
    int tag = pdu[pos++] & 0xFF;
    if (tag == 0xDB || tag == 0xDC) {
      if (pos >= pdu.length) {
        return -1;
      }
      pos += 1 + (pdu[pos] & 0xFF); // system title
    } else if (tag < 0xC8 || tag > 0xD7) {
      return -1;
    }
    if (pos >= pdu.length) {
      return -1;
    }
    int first = pdu[pos] & 0xFF;
    pos += first < 0x80 ? 1 : 1 + (first & 0x7F); // A-XDR length
    pos += 1; // security control
    if (pos + 4 > pdu.length) {
      return -1;
    }
    return ((pdu[pos] & 0xFFL) << 24) | ((pdu[pos + 1] & 0xFFL) << 16) | ((pdu[pos + 2] & 0xFFL) << 8)
        | (pdu[pos + 3] & 0xFFL);
  }

  /** glo-/ded- ciphered xDLMS APDUs and general ciphering (IEC 62056-5-3 tags). */
  private static boolean isCipheredRequest(int tag) {
    return (tag >= 0xC8 && tag <= 0xD7) || tag == 0xDB || tag == 0xDC || tag == 0xDD;
  }

  private static boolean isCipheredAnswer(byte[] reply) {
    if (reply.length <= WrapperPdu.HEADER_LENGTH) {
      return false;
    }
    int tag = reply[WrapperPdu.HEADER_LENGTH] & 0xFF;
    return isCipheredRequest(tag) || (tag == 0x61 && aareAccepted(reply)) || tag == 0x63;
  }

  /** Whether a reply is an AARE whose result (tag A2) is accepted (0). */
  static boolean aareAccepted(byte[] reply) {
    if (reply == null || reply.length < WrapperPdu.HEADER_LENGTH + 2
        || (reply[WrapperPdu.HEADER_LENGTH] & 0xFF) != 0x61) {
      return false;
    }
    int pos = WrapperPdu.HEADER_LENGTH + 1;
    int[] len = berLength(reply, pos);
    if (len == null) {
      return false;
    }
    pos = len[1];
    int end = Math.min(reply.length, pos + len[0]);
    while (pos + 1 < end) {
      int tag = reply[pos] & 0xFF;
      int[] l = berLength(reply, pos + 1);
      if (l == null) {
        return false;
      }
      int content = l[1];
      if (tag == 0xA2) {
        // result: INTEGER (02 01 xx)
        return content + 2 < reply.length && reply[content] == 0x02 && reply[content + 1] == 0x01
            && reply[content + 2] == 0;
      }
      pos = content + l[0];
    }
    return false;
  }

  /** BER length at pos: {length, offset of content}, or null. */
  private static int[] berLength(byte[] b, int pos) {
    if (pos >= b.length) {
      return null;
    }
    int first = b[pos] & 0xFF;
    if (first < 0x80) {
      return new int[] {first, pos + 1};
    }
    int n = first & 0x7F;
    if (n == 0 || n > 2 || pos + n >= b.length) {
      return null;
    }
    int len = 0;
    for (int i = 1; i <= n; i++) {
      len = (len << 8) | (b[pos + i] & 0xFF);
    }
    return new int[] {len, pos + 1 + n};
  }
}
