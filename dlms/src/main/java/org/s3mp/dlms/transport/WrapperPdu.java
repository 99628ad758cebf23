package org.s3mp.dlms.transport;

/**
 * The IEC 62056-47 wrapper header: version (0x0001), source wPort, destination wPort, length of the APDU that
 * follows; all big-endian 16-bit. Transports use it to delimit and check PDUs; they never look inside the APDU.
 */
public final class WrapperPdu {
  private WrapperPdu() {}

  public static final int HEADER_LENGTH = 8;
  public static final int VERSION = 1;
  /** The IANA port of DLMS/COSEM over TCP and UDP. */
  public static final int DEFAULT_PORT = 4059;

  /** The APDU length the header announces. */
  public static int apduLength(byte[] header) {
    return u16(header, 6);
  }

  /**
   * Checks a header: version 1 and an APDU length within {@code maxApdu}.
   *
   * @return null when fine, else the reason
   */
  public static String checkHeader(byte[] header, int maxApdu) {
    if (header.length < HEADER_LENGTH) {
      return "short wrapper header";
    }
    if (u16(header, 0) != VERSION) {
      return "wrapper version " + u16(header, 0) + " (want 1)";
    }
    if (apduLength(header) > maxApdu) {
      return "wrapper length " + apduLength(header) + " exceeds " + maxApdu;
    }
    return null;
  }

  /** Checks a whole PDU (header + exactly the announced APDU), as a datagram carries it. */
  public static String checkPdu(byte[] pdu, int maxApdu) {
    String bad = checkHeader(pdu, maxApdu);
    if (bad == null && pdu.length != HEADER_LENGTH + apduLength(pdu)) {
      bad = "wrapper length " + apduLength(pdu) + " but " + (pdu.length - HEADER_LENGTH) + " bytes follow";
    }
    return bad;
  }

  public static int sourcePort(byte[] pdu) {
    return u16(pdu, 2);
  }

  public static int destinationPort(byte[] pdu) {
    return u16(pdu, 4);
  }

  private static int u16(byte[] b, int off) {
    return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
  }
}
