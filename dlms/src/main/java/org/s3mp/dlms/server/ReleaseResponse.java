package org.s3mp.dlms.server;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import org.s3mp.dlms.transport.WrapperPdu;

/**
 * Re-encodes the release response (RLRE) that Gurux DLMS writes. Gurux (4.0.47, unchanged through 4.0.96)
 * announces the RLRE's length as user-information + 3 and the user-information field's length as its octet
 * string + 1, so the outer length is 4 bytes short and the user-information 1 byte short. A client that checks
 * BER lengths (any non-Gurux stack) treats every release as a protocol error; Gurux's own client ignores the
 * RLRE's content, which is why it went unnoticed. The fields themselves (reason, InitiateResponse, plain or
 * glo-ciphered) are right, so only the lengths are rebuilt here.
 */
final class ReleaseResponse {
  private ReleaseResponse() {}

  static final int RLRE = 0x63;
  private static final int REASON = 0x80;
  private static final int USER_INFORMATION = 0xBE;
  private static final int OCTET_STRING = 0x04;

  /**
   * The wrapper frame with a well-formed RLRE if it carries one in Gurux's layout ({@code 63 L 80 01 r BE L 04 L
   * initiate-response}, every length one byte); any other frame, or an RLRE that is already well-formed, is
   * returned unchanged.
   */
  static byte[] wellFormed(byte[] frame) {
    int apdu = WrapperPdu.HEADER_LENGTH;
    if (frame == null || frame.length < apdu + 2 || (frame[apdu] & 0xFF) != RLRE) {
      return frame;
    }
    int contentStart = apdu + 2;
    int announced = frame[apdu + 1] & 0xFF;
    if (announced == frame.length - contentStart) {
      return frame; // already right (a fixed Gurux)
    }
    ByteArrayOutputStream content = new ByteArrayOutputStream();
    int pos = contentStart;
    while (pos < frame.length) {
      int tag = frame[pos] & 0xFF;
      if (tag == REASON && pos + 2 < frame.length && frame[pos + 1] == 1) {
        content.write(frame, pos, 3);
        pos += 3;
      } else if (tag == USER_INFORMATION && pos + 3 < frame.length && frame[pos + 2] == OCTET_STRING) {
        // Gurux puts the user-information last; its octet string is everything that follows
        byte[] initiate = Arrays.copyOfRange(frame, pos + 4, frame.length);
        if ((frame[pos + 3] & 0xFF) != (initiate.length & 0xFF)) { // Gurux writes one byte
          return frame; // not the layout described above
        }
        byte[] octets = tlv(OCTET_STRING, initiate);
        content.writeBytes(tlv(USER_INFORMATION, octets));
        pos = frame.length;
      } else {
        return frame;
      }
    }
    byte[] rlre = tlv(RLRE, content.toByteArray());
    byte[] fixed = Arrays.copyOf(frame, apdu + rlre.length);
    System.arraycopy(rlre, 0, fixed, apdu, rlre.length);
    fixed[6] = (byte) (rlre.length >> 8);
    fixed[7] = (byte) rlre.length;
    return fixed;
  }

  /** tag, BER definite length (short or long form), value. */
  static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 4);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else if (n <= 0xFF) {
      out.write(0x81);
      out.write(n);
    } else {
      out.write(0x82);
      out.write(n >> 8);
      out.write(n);
    }
    out.writeBytes(value);
    return out.toByteArray();
  }
}
