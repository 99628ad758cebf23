package org.s3mp.dlms.client;

import gurux.dlms.GXByteBuffer;
import gurux.dlms.GXReplyData;
import gurux.dlms.enums.Authentication;
import gurux.dlms.enums.ErrorCode;
import gurux.dlms.enums.InterfaceType;
import gurux.dlms.enums.ObjectType;
import gurux.dlms.enums.Security;
import gurux.dlms.secure.GXDLMSSecureClient;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.security.ReusedGcmCiphers;
import org.s3mp.dlms.transport.ClientLink;
import org.s3mp.dlms.transport.NetworkKeys;

/**
 * The DLMS application association of a {@link MeterClient} on its link: associating (the management client
 * first reads the meter's invocation counter as public client), the ciphering of every request (Gurux's client
 * holds the keys and the invocation counter), renewal when keys from the network expire, release, and the one
 * place where a request is exchanged and a failure becomes a {@link MeterException}.
 *
 * <p>Retries: a datagram link sends an unanswered request again within {@link #timeout} itself (the meter answers
 * a repeated request from its cache); the association is attempted again here only when another client with the
 * same keys took the invocation counter between its read and the AARQ, at most {@link #MAX_COUNTER_RACES} times.
 * An operation that failed is run again on a new association only by a {@link Session}, per its
 * {@link RetryPolicy}; nothing else repeats a request. Not thread-safe.
 */
final class Association {
  static {
    ReusedGcmCiphers.install(); // Gurux makes a cipher per message otherwise
  }

  /** Associations refused because another client took the invocation counter first, before giving up. */
  static final int MAX_COUNTER_RACES = 3;

  private final ClientLink link;
  private final ClientSecurity security;
  /** Per response (datagram links retransmit within it). */
  private final Duration timeout;
  private GXDLMSSecureClient dlms;
  private boolean associated;
  /** Keys from the network: when they expire (the association is renewed at the first request after); else null. */
  private Instant keysExpire;
  private String securityInfo;

  private Association(ClientLink link, ClientSecurity security, Duration timeout) {
    this.link = link;
    this.security = security;
    this.timeout = timeout;
  }

  /** Associates over the link; the link stays the caller's (closed by {@link #close}). */
  static Association open(ClientLink link, ClientSecurity security, Duration timeout) throws IOException {
    Association a = new Association(link, security, timeout);
    a.establish();
    return a;
  }

  /** Builds the requests of one service with the association's Gurux client (its keys and counter). */
  @FunctionalInterface
  interface Requests {
    byte[][] build(GXDLMSSecureClient dlms) throws Exception;
  }

  /**
   * One service: renews the association first if its keys expired, builds the requests and exchanges each (with
   * block transfer). A refusal by the meter becomes a MeterException {@code "<refused>: <reason>"} with the DLMS
   * error kept ({@code refused} null: the meter's message as it is), any other failure to encode or decode
   * {@code "<failed>: <reason>"}; an IOException of the link stays what it is.
   *
   * @return the reply of the last request
   */
  GXReplyData service(String refused, String failed, Requests requests) throws IOException {
    renewIfExpired();
    GXReplyData reply = new GXReplyData();
    try {
      exchangeAll(requests.build(dlms), reply);
    } catch (MeterException e) {
      if (refused == null) {
        throw e;
      }
      throw new MeterException(refused + ": " + e.getMessage(), e.dlmsError(), e);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new MeterException(failed + ": " + describe(e), null, e);
    }
    return reply;
  }

  /** The Gurux client of the current association: for building requests and decoding values. */
  GXDLMSSecureClient dlms() {
    return dlms;
  }

  /** Keys from the network expire (DRKey: every epoch): after that, associate again with new ones. */
  void renewIfExpired() throws IOException {
    if (keysExpire != null && !Instant.now().isBefore(keysExpire)) {
      keysExpire = null;
      try {
        release();
      } catch (IOException e) {
        associated = false; // the meter drops the old association by itself
      }
      establish();
    }
  }

  /** Security mode, and for DRKey the epoch and key id (never a key), for display. */
  String securityInfo() {
    return securityInfo;
  }

  /**
   * Associates: the management client first reads the meter's invocation counter as public client. Keys from
   * the network are asked from the link for its two ends at every association (they expire).
   */
  private void establish() throws IOException {
    keysExpire = null;
    ClientSecurity effective = security;
    securityInfo = security.toString();
    if (security.keysFromNetwork()) {
      NetworkKeys k = link.networkKeys().orElseThrow(() -> new IOException(
          "keys from the network (DRKey) need a scion:// meter, not " + link.remote()));
      effective = ClientSecurity.management(k.keys());
      securityInfo = "management client (SAP 1, HLS-GMAC suite 0), " + k.description();
      keysExpire = k.expires();
    }
    if (effective.keys().isEmpty()) {
      dlms = newDlms(effective, 0);
      associate();
      return;
    }
    long first = readInvocationCounter();
    long counter = first;
    for (int attempt = 1; ; attempt++) {
      dlms = newDlms(effective, counter);
      try {
        associate();
        return;
      } catch (MeterException refused) {
        // another client with the same keys may have used the counter between our read and our AARQ: the
        // meter then refuses it as a replay. Read it again; only a counter that moved is worth another try.
        long now = readInvocationCounter();
        if (now <= counter) {
          throw refused;
        }
        if (attempt == MAX_COUNTER_RACES) {
          throw new MeterException(refused.getMessage() + "; another client is using the same keys (the meter's"
              + " invocation counter moved from " + first + " to " + now + " while associating): give each client"
              + " its own keys", refused.dlmsError(), refused);
        }
        counter = now;
      }
    }
  }

  /** The meter's invocation counter for the configured keys, read as public client. */
  private long readInvocationCounter() throws IOException {
    dlms = newDlms(ClientSecurity.publicClient(), 0);
    associate();
    String obis = MeterObjects.INVOCATION_COUNTER.toString();
    GXReplyData reply = service("reading " + obis + " attribute 2", "reading " + obis + " failed",
        d -> d.read(obis, ObjectType.DATA, 2));
    if (!(reply.getValue() instanceof Number n)) {
      throw new MeterException(obis + " attribute 2 is not a number: " + reply.getValue());
    }
    release();
    return n.longValue();
  }

  static GXDLMSSecureClient newDlms(ClientSecurity security, long invocationCounter) {
    KeysFile keys = security.keys().orElse(null);
    GXDLMSSecureClient c = new GXDLMSSecureClient(
        true,
        security.clientSap(),
        MeterObjects.LOGICAL_DEVICE,
        keys == null ? Authentication.NONE : Authentication.HIGH_GMAC,
        null,
        InterfaceType.WRAPPER);
    // what the meter sends back must fit one datagram on a SCION path (MTU 1472 minus headers)
    c.setMaxReceivePDUSize(1024);
    if (keys != null) {
      c.getCiphering().setSecurity(Security.AUTHENTICATION_ENCRYPTION);
      c.getCiphering().setSystemTitle(keys.clientSystemTitle());
      c.getCiphering().setAuthenticationKey(keys.authenticationKey());
      c.getCiphering().setBlockCipherKey(keys.encryptionKey());
      c.getCiphering().setInvocationCounter(invocationCounter);
    }
    return c;
  }

  private void associate() throws IOException {
    GXReplyData reply = new GXReplyData();
    try {
      exchangeAll(dlms.aarqRequest(), reply);
      dlms.parseAareResponse(reply.getData());
      if (dlms.getIsAuthenticationRequired()) {
        reply.clear();
        exchangeAll(dlms.getApplicationAssociationRequest(), reply);
        dlms.parseApplicationAssociationResponse(reply.getData());
      }
    } catch (MeterException e) {
      throw new MeterException("meter " + link.remote() + " refused the association of the " + security
          + ": " + e.getMessage(), e.dlmsError(), e);
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new MeterException("meter " + link.remote() + " refused the association of the " + security + ": "
          + describe(e), null, e);
    }
    associated = true;
  }

  private void release() throws IOException {
    if (!associated) {
      return;
    }
    associated = false;
    try {
      exchangeAll(dlms.releaseRequest(), new GXReplyData());
    } catch (IOException e) {
      throw e;
    } catch (Exception e) {
      throw new MeterException("release failed: " + describe(e), null, e);
    }
  }

  private void exchangeAll(byte[][] requests, GXReplyData reply) throws Exception {
    for (byte[] request : requests) {
      reply.clear();
      exchangeBlocks(request, reply);
    }
  }

  /** One request, then "next block" requests while the meter has more data. */
  void exchangeBlocks(byte[] request, GXReplyData reply) throws Exception {
    exchange(request, reply);
    while (reply.isMoreData()) {
      exchange(dlms.receiverReady(reply), reply);
    }
  }

  private void exchange(byte[] request, GXReplyData reply) throws Exception {
    byte[] response;
    try {
      // datagram links retransmit within the timeout themselves, and skip what cannot answer this request
      response = link.exchange(request, timeout, answer -> ResponseMatch.answers(request, answer));
    } catch (SocketTimeoutException e) {
      throw new MeterException("no response from " + link.remote() + " within " + timeout.toMillis() + " ms: "
          + e.getMessage(), null, e);
    }
    GXReplyData notify = new GXReplyData();
    GXByteBuffer data = new GXByteBuffer(response);
    try {
      if (!dlms.getData(data, reply, notify)) {
        throw new MeterException("incomplete response from " + link.remote());
      }
    } catch (gurux.dlms.GXDLMSException e) {
      throw new MeterException(describe(e), errorName(e.getErrorCode()), e);
    } catch (gurux.dlms.GXDLMSExceptionResponse e) {
      throw new MeterException("meter answered with an exception: " + e.getMessage(), "EXCEPTION", e);
    }
    if (reply.getError() != 0) {
      String name = errorName(reply.getError());
      throw new MeterException("meter answered " + name, name, null);
    }
  }

  private static String errorName(int code) {
    try {
      return ErrorCode.forValue(code).name();
    } catch (RuntimeException e) {
      return "error " + code;
    }
  }

  /** The first line of an exception's message, or its type when it has none. */
  static String describe(Exception e) {
    String m = e.getMessage();
    return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.lines().findFirst().orElse(m);
  }

  /** Releases the association (best effort) and closes the link. */
  void close() {
    try {
      release();
    } catch (IOException | RuntimeException ignored) {
      // the link goes away anyway
    } finally {
      link.close();
    }
  }
}
