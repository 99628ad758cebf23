package org.s3mp.dlms.transport.tcp;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.s3mp.dlms.transport.WrapperPdu;

/** Reads whole wrapper PDUs from a TCP byte stream. */
final class WrapperStream {
  private WrapperStream() {}

  /**
   * Reads one PDU; null on a clean end of stream before its first byte.
   *
   * @throws IOException on a bad header (the stream cannot be resynchronised) or a truncated PDU
   */
  static byte[] read(InputStream in) throws IOException {
    byte[] header = new byte[WrapperPdu.HEADER_LENGTH];
    int first = in.read();
    if (first < 0) {
      return null;
    }
    header[0] = (byte) first;
    in.readNBytes(header, 1, header.length - 1);
    String bad = WrapperPdu.checkHeader(header, TcpTransport.MAX_APDU);
    if (bad != null) {
      throw new IOException(bad);
    }
    int length = WrapperPdu.apduLength(header);
    byte[] pdu = new byte[WrapperPdu.HEADER_LENGTH + length];
    System.arraycopy(header, 0, pdu, 0, header.length);
    int got = in.readNBytes(pdu, header.length, length);
    if (got != length) {
      throw new EOFException("connection closed inside a wrapper PDU");
    }
    return pdu;
  }
}
