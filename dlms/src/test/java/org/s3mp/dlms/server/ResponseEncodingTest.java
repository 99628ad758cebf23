package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;

import gurux.dlms.GXReplyData;
import gurux.dlms.enums.Authentication;
import gurux.dlms.enums.InterfaceType;
import gurux.dlms.enums.Security;
import gurux.dlms.objects.GXDLMSData;
import gurux.dlms.objects.GXDLMSDisconnectControl;
import gurux.dlms.objects.GXDLMSProfileGeneric;
import gurux.dlms.secure.GXDLMSSecureClient;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.Peer;

/**
 * The bytes of every kind of response the COSEM server emits (AARE accepted and refused, RLRE plain and
 * ciphered, exception and confirmed service error responses, ciphered service responses), checked against
 * golden bytes where they are deterministic and, all of them, against the BER/A-XDR lengths a length-checking
 * client parses ({@link ApduStructure}). The public client's requests are written out byte by byte (the AARQ
 * is the Blue Book's LN example), so they do not come from the library the server is built on.
 */
class ResponseEncodingTest {
  private static final HexFormat HEX = HexFormat.ofDelimiter(" ");

  /** AARQ: LN referencing without ciphering, no authentication, InitiateRequest proposing 00 7E 1F, PDU 0x04B0. */
  private static final String PUBLIC_AARQ =
      "60 1d a1 09 06 07 60 85 74 05 08 01 01 be 10 04 0e 01 00 00 00 06 5f 1f 04 00 00 7e 1f 04 b0";
  private static final String RLRQ = "62 03 80 01 00";
  /** GET-Request-Normal: invoke-id 0xC1, class 1 (data), 0.0.96.1.0.255 (serial number), attribute 2. */
  private static final String GET_SERIAL = "c0 01 c1 00 01 00 00 60 01 00 ff 02 00";
  /** ReadRequest (short-name referencing), a service the LN association does not offer. */
  private static final String SN_READ = "05 01 02 00 08";

  @TempDir Path dir;
  KeysFile keys;
  InMemoryBackend backend;
  FileCounterStore counters;
  CosemServer server;
  final Peer peer = () -> "tcp:127.0.0.1:40000#1";

  @BeforeEach
  void start() throws Exception {
    keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 1}, new byte[] {'S', '3', 'M', 'P', 0, 0, 1, 1});
    backend = new InMemoryBackend();
    counters = new FileCounterStore(dir.resolve("counters"));
    server = new CosemServer(backend, keys, counters);
  }

  // ---------------------------------------------------------------- the release response of issue 18

  @Test
  void releaseResponsesReportedInTheIssueAreReencoded() {
    byte[] plain = response(16, "63 11 80 01 00 be 0f 04 0e 08 00 06 5f 1f 04 00 00 12 5d 04 00 00 07");
    assertThat(ApduStructure.problem(plain)).as("the checker sees the fault").contains("says 17 bytes, 21 follow");
    byte[] fixed = ReleaseResponse.wellFormed(plain);
    assertThat(hex(fixed)).isEqualTo(hex(response(16,
        "63 15 80 01 00 be 10 04 0e 08 00 06 5f 1f 04 00 00 12 5d 04 00 00 07")));
    assertThat(ApduStructure.problem(fixed)).isNull();

    String ciphered = "28 1f 30 00 00 00 03 51 96 3a 55 05 02 bd 06 b1 b9 eb f7 54 3e 17 4d f6 ce 11 ab bd be 40 6c"
        + " 15 b6";
    byte[] gurux = response(1, "63 24 80 01 00 be 22 04 21 " + ciphered);
    assertThat(ApduStructure.problem(gurux)).contains("says 36 bytes, 40 follow");
    assertThat(hex(ReleaseResponse.wellFormed(gurux))).isEqualTo(hex(response(1,
        "63 28 80 01 00 be 23 04 21 " + ciphered)));
    // well-formed frames pass unchanged
    assertThat(ReleaseResponse.wellFormed(fixed)).isSameAs(fixed);
  }

  @Test
  void longUserInformationGetsLongFormLengths() {
    byte[] initiate = new byte[200];
    initiate[0] = 0x28;
    initiate[1] = (byte) 0x81;
    initiate[2] = (byte) 197;
    initiate[3] = 0x30;
    // Gurux's one-byte lengths of a 200-byte user-information: 203 and 201 truncated to a byte
    byte[] apdu = new byte[9 + 200];
    byte[] head = HexFormat.of().parseHex("63cb800100bec904c8");
    System.arraycopy(head, 0, apdu, 0, head.length);
    System.arraycopy(initiate, 0, apdu, 9, 200);
    byte[] fixed = ReleaseResponse.wellFormed(response(1, HEX.formatHex(apdu)));
    assertThat(ApduStructure.problem(fixed)).isNull();
    assertThat(hex(Arrays.copyOfRange(fixed, 8, 20))).isEqualTo("63 81 d1 80 01 00 be 81 cb 04 81 c8");
  }

  // ---------------------------------------------------------------- public client (SAP 16)

  @Test
  void publicAssociationReadAndRelease() {
    byte[] aare = send(16, PUBLIC_AARQ);
    assertThat(hex(aare)).isEqualTo(hex(response(16, "61 29 a1 09 06 07 60 85 74 05 08 01 01 a2 03 02 01 00"
        + " a3 05 a1 03 02 01 00 be 10 04 0e 08 00 06 5f 1f 04 00 00 1e 1d 04 00 00 07")));

    byte[] get = send(16, GET_SERIAL);
    assertThat(hex(get)).isEqualTo(hex(response(16, "c4 01 c1 00 09 0b 53 33 4d 50 2d 54 45 53 54 2d 31")));

    byte[] rlre = send(16, RLRQ);
    assertThat(hex(rlre)).isEqualTo(hex(response(16,
        "63 15 80 01 00 be 10 04 0e 08 00 06 5f 1f 04 00 00 1e 1d 04 00 00 07")));
  }

  @Test
  void publicRefusalsAreWellFormed() throws Exception {
    // authentication the public association does not offer: AARE with result rejected-permanent (1)
    GXDLMSSecureClient low = new GXDLMSSecureClient(true, 16, 1, Authentication.LOW, "12345678",
        InterfaceType.WRAPPER);
    byte[] refused = send(peer, low.aarqRequest()[0]);
    assertThat(hex(Arrays.copyOfRange(refused, 8, 26)))
        .isEqualTo("61 29 a1 09 06 07 60 85 74 05 08 01 01 a2 03 02 01 01");

    send(16, PUBLIC_AARQ);
    // a service outside the negotiated conformance: exception response service-unknown / service-not-supported
    assertThat(hex(send(16, SN_READ))).isEqualTo(hex(response(16, "d8 02 02")));
    // an object the public client may not read: a GET response with data-access-result read-write-denied (3)
    assertThat(hex(send(16, "c0 01 c1 00 03 01 00 20 07 00 ff 02 00")))
        .isEqualTo(hex(response(16, "c4 01 c1 01 03")));
    send(16, RLRQ);
    // a release without an association: confirmed service error (initiate error), 4 bytes
    byte[] again = server.handle(peer, frame(16, RLRQ), false);
    assertThat(again).isNotNull();
    assertThat(ApduStructure.problem(again)).isNull();
  }

  // ---------------------------------------------------------------- management client (SAP 1, HLS-GMAC)

  @Test
  void managementAssociationServicesAndCipheredRelease() throws Exception {
    backend.profile.add(new MeterBackend.ProfileRow(Instant.parse("2026-01-01T00:00:00Z"),
        List.of(BigDecimal.ONE, BigDecimal.ZERO, BigDecimal.TEN)));
    GXDLMSSecureClient m = management(keys, 10);
    byte[] aare = associate(m);
    String a = hex(aare);
    // accepted (A2 .. 00), authentication-required diagnostic (14), server system title, mechanism 5 (GMAC)
    assertThat(a).contains("a2 03 02 01 00 a3 05 a1 03 02 01 0e a4 0a 04 08 " + hex(keys.serverSystemTitle()))
        .contains("89 07 60 85 74 05 08 02 05 aa 12 80 10");
    // user-information: a glo-InitiateResponse (0x28) of security control 0x30, 4-byte counter, 14 + 12 bytes
    assertThat(a).contains("be 23 04 21 28 1f 30");

    for (byte[] request : List.of(
        m.read(new GXDLMSData(MeterObjects.SERIAL_NUMBER.toString()), 2)[0],
        m.read(new GXDLMSProfileGeneric(MeterObjects.LOAD_PROFILE.toString()), 2)[0],
        m.method(new GXDLMSDisconnectControl(MeterObjects.DISCONNECT_CONTROL.toString()), 1,
            0, gurux.dlms.enums.DataType.INT8)[0])) {
      byte[] reply = send(peer, request);
      // glo-get/glo-action-response, or general-glo-ciphering when the client asked with it
      assertThat(reply[8] & 0xFF).as("ciphered response").isIn(0xCC, 0xCF, 0xDB);
    }
    assertThat(backend.connected).isFalse();

    byte[] rlre = send(peer, m.releaseRequest()[0]);
    assertThat(hex(Arrays.copyOfRange(rlre, 8, 20))).isEqualTo("63 28 80 01 00 be 23 04 21 28 1f 30");
  }

  @Test
  void protectedReleaseIsWellFormed() throws Exception {
    GXDLMSSecureClient m = management(keys, 10);
    m.setUseProtectedRelease(true);
    associate(m);
    byte[] rlrq = m.releaseRequest()[0];
    assertThat(rlrq[8] & 0xFF).isEqualTo(0x62);
    byte[] rlre = send(peer, rlrq);
    assertThat(hex(Arrays.copyOfRange(rlre, 8, 12))).isEqualTo("63 28 80 01");
  }

  @Test
  void managementRefusalsAreWellFormedExceptionResponses() throws Exception {
    GXDLMSSecureClient good = management(keys, 10);
    associate(good);
    send(peer, good.releaseRequest()[0]);

    // wrong keys: the AARQ's ciphered InitiateRequest does not decrypt
    KeysFile wrong = KeysFile.generate(keys.clientSystemTitle(), keys.serverSystemTitle());
    Peer other = () -> "tcp:127.0.0.1:40001#2";
    byte[] refused = send(other, management(wrong, 50).aarqRequest()[0]);
    assertThat(hex(refused)).isEqualTo(hex(response(1, "d8 02 05")));

    // a replayed counter: below the floor the last association raised
    assertThat(counters.clientFloor(keys.keyId())).isGreaterThan(10);
    byte[] replayed = send(peer, management(keys, 10).aarqRequest()[0]);
    assertThat(hex(replayed)).isEqualTo(hex(response(1, "d8 02 05")));
    assertThat(backend.authFailures).hasSize(2);
  }

  // ---------------------------------------------------------------- helpers

  private GXDLMSSecureClient management(KeysFile k, long invocationCounter) {
    GXDLMSSecureClient c = new GXDLMSSecureClient(true, MeterObjects.MANAGEMENT_CLIENT, MeterObjects.LOGICAL_DEVICE,
        Authentication.HIGH_GMAC, null, InterfaceType.WRAPPER);
    c.getCiphering().setSecurity(Security.AUTHENTICATION_ENCRYPTION);
    c.getCiphering().setSystemTitle(k.clientSystemTitle());
    c.getCiphering().setAuthenticationKey(k.authenticationKey());
    c.getCiphering().setBlockCipherKey(k.encryptionKey());
    c.getCiphering().setInvocationCounter(invocationCounter);
    return c;
  }

  /** AARQ and the HLS reply_to_HLS_authentication step; returns the AARE (both answers checked). */
  private byte[] associate(GXDLMSSecureClient m) throws Exception {
    byte[] aare = send(peer, m.aarqRequest()[0]);
    GXReplyData reply = new GXReplyData();
    m.getData(aare, reply, null);
    m.parseAareResponse(reply.getData());
    byte[] hls = send(peer, m.getApplicationAssociationRequest()[0]);
    reply.clear();
    m.getData(hls, reply, null);
    m.parseApplicationAssociationResponse(reply.getData());
    return aare;
  }

  private byte[] send(int clientSap, String apdu) {
    return send(peer, frame(clientSap, apdu));
  }

  /** One request; the answer must exist and be well-formed. */
  private byte[] send(Peer from, byte[] request) {
    byte[] reply = server.handle(from, request, false);
    assertThat(reply).as("answer to " + hex(request)).isNotNull();
    assertThat(ApduStructure.problem(reply)).isNull();
    return reply;
  }

  /** A wrapper frame from the client SAP to the meter's logical device 1. */
  private static byte[] frame(int clientSap, String apduHex) {
    return wrapper(clientSap, MeterObjects.LOGICAL_DEVICE, apduHex);
  }

  /** A wrapper frame from the meter's logical device 1 to the client SAP. */
  private static byte[] response(int clientSap, String apduHex) {
    return wrapper(MeterObjects.LOGICAL_DEVICE, clientSap, apduHex);
  }

  private static byte[] wrapper(int source, int destination, String apduHex) {
    byte[] apdu = HEX.parseHex(apduHex);
    byte[] f = new byte[8 + apdu.length];
    f[1] = 1;
    f[3] = (byte) source;
    f[5] = (byte) destination;
    f[6] = (byte) (apdu.length >> 8);
    f[7] = (byte) apdu.length;
    System.arraycopy(apdu, 0, f, 8, apdu.length);
    return f;
  }

  private static String hex(byte[] b) {
    return HEX.formatHex(b);
  }
}
