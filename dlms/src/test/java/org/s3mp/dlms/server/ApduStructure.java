package org.s3mp.dlms.server;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * An encoding check written from IEC 62056-5-3 / ISO 8650 alone (no Gurux code), as a length-checking client
 * parses a response: the wrapper length, every BER length of an AARE/RLRE down to the user-information's
 * xDLMS APDU, the A-XDR length of a ciphered APDU, and the fixed shapes of exception and confirmed service
 * error responses. {@link #problem} says what is wrong, or null.
 */
final class ApduStructure {
  private ApduStructure() {}

  static final int AARE = 0x61;
  static final int RLRE = 0x63;
  static final int EXCEPTION_RESPONSE = 0xD8;
  static final int CONFIRMED_SERVICE_ERROR = 0x0E;

  private static final class Malformed extends RuntimeException {
    Malformed(String m) {
      super(m);
    }
  }

  /** The APDU of a wrapper frame, after checking the wrapper header's length. */
  static byte[] apdu(byte[] frame) {
    if (frame == null || frame.length < 8) {
      throw new IllegalArgumentException("no wrapper frame");
    }
    int announced = ((frame[6] & 0xFF) << 8) | (frame[7] & 0xFF);
    if (announced != frame.length - 8) {
      throw new IllegalArgumentException("wrapper length " + announced + ", " + (frame.length - 8) + " follow");
    }
    return Arrays.copyOfRange(frame, 8, frame.length);
  }

  /** Null if the wrapper frame and its APDU are well-formed, else what is wrong. */
  static String problem(byte[] frame) {
    try {
      byte[] a = apdu(frame);
      if (a.length == 0) {
        return "empty APDU";
      }
      switch (a[0] & 0xFF) {
        case AARE, RLRE -> {
          int[] outer = berLength(a, 1, a.length, "APDU");
          if (outer[1] + outer[0] != a.length) {
            throw new Malformed(String.format("APDU tag %02x says %d bytes, %d follow", a[0] & 0xFF, outer[0],
                a.length - outer[1]));
          }
          int end = tlv(a, 0, a.length, "APDU");
          if (end != a.length) {
            throw new Malformed((a.length - end) + " bytes after the APDU");
          }
        }
        case EXCEPTION_RESPONSE -> exception(a);
        case CONFIRMED_SERVICE_ERROR -> fixed(a, 4, "confirmed service error");
        default -> xdlms(a, "APDU");
      }
      return null;
    } catch (Malformed | IllegalArgumentException e) {
      return e.getMessage() + " in " + HexFormat.ofDelimiter(" ").formatHex(frame);
    }
  }

  /**
   * One BER TLV at pos that must end by limit; constructed values must be exactly a sequence of TLVs, the
   * user-information ([30], BE) exactly one OCTET STRING holding one xDLMS APDU. Returns the end of the TLV.
   */
  private static int tlv(byte[] b, int pos, int limit, String where) {
    int tag = b[pos] & 0xFF;
    String name = where + " tag " + String.format("%02x", tag);
    int[] len = berLength(b, pos + 1, limit, name);
    int start = len[1];
    int end = start + len[0];
    if (end > limit) {
      throw new Malformed(name + " says " + len[0] + " bytes, " + (limit - start) + " follow");
    }
    if (tag == 0xBE) {
      if (len[0] < 2 || (b[start] & 0xFF) != 0x04) {
        throw new Malformed(name + ": user-information without an OCTET STRING");
      }
      int octetEnd = tlv(b, start, end, name);
      if (octetEnd != end) {
        throw new Malformed(name + " says " + len[0] + " bytes, its OCTET STRING takes " + (octetEnd - start));
      }
      int[] ol = berLength(b, start + 1, end, name);
      xdlms(Arrays.copyOfRange(b, ol[1], end), name + " user-information");
    } else if ((tag & 0x20) != 0) {
      int p = start;
      while (p < end) {
        p = tlv(b, p, end, name);
      }
    }
    return end;
  }

  /** BER definite length at pos: {length, start of content}. */
  private static int[] berLength(byte[] b, int pos, int limit, String name) {
    if (pos >= limit) {
      throw new Malformed(name + ": no length");
    }
    int first = b[pos] & 0xFF;
    if (first < 0x80) {
      return new int[] {first, pos + 1};
    }
    int n = first & 0x7F;
    if (n == 0 || n > 2 || pos + n >= limit) {
      throw new Malformed(name + ": bad length octets");
    }
    int len = 0;
    for (int i = 1; i <= n; i++) {
      len = (len << 8) | (b[pos + i] & 0xFF);
    }
    return new int[] {len, pos + 1 + n};
  }

  /** xDLMS APDUs carried in responses: InitiateResponse, its ciphered form, errors, ciphered services. */
  private static void xdlms(byte[] a, String where) {
    int tag = a.length == 0 ? -1 : a[0] & 0xFF;
    switch (tag) {
      case 0x08 -> {
        // InitiateResponse: tag, QoS (00 absent | 01 x), version, conformance 5F1F 04 xx xx xx xx, PDU size, VAA
        int qos = a.length > 1 && a[1] == 1 ? 2 : 1;
        fixed(a, 1 + qos + 1 + 7 + 2 + 2, where + " InitiateResponse");
        if ((a[qos + 2] & 0xFF) != 0x5F || (a[qos + 3] & 0xFF) != 0x1F || a[qos + 4] != 4) {
          throw new Malformed(where + ": InitiateResponse conformance is not 5F 1F 04");
        }
      }
      case CONFIRMED_SERVICE_ERROR -> fixed(a, 4, where + " confirmed service error");
      case EXCEPTION_RESPONSE -> exception(a);
      case -1 -> throw new Malformed(where + ": empty");
      case 0xDB, 0xDC -> {
        // general-glo/ded-ciphering: system-title, then the ciphered content, both A-XDR octet strings
        int[] title = axdrLength(a, 1, where);
        int[] content = axdrLength(a, title[1] + title[0], where);
        if (content[1] + content[0] != a.length) {
          throw new Malformed(where + String.format(" general ciphering %02x", tag) + " content says " + content[0]
              + " bytes, " + (a.length - content[1]) + " follow");
        }
      }
      default -> {
        if (ciphered(tag)) {
          // tag, A-XDR length, security control, invocation counter, ciphertext, 12-byte tag
          int[] len = axdrLength(a, 1, where);
          if (len[1] + len[0] != a.length) {
            throw new Malformed(where + String.format(" ciphered %02x", tag) + " says " + len[0] + " bytes, "
                + (a.length - len[1]) + " follow");
          }
          if (len[0] < 5) {
            throw new Malformed(where + ": ciphered APDU without security header");
          }
        }
      }
    }
  }

  /** glo-/ded- ciphered xDLMS APDUs with a length, then security header (InitiateResponse 0x28/0x29, 0xC8-0xDA). */
  static boolean ciphered(int tag) {
    return tag == 0x28 || tag == 0x29 || (tag >= 0xC8 && tag <= 0xDA && tag != EXCEPTION_RESPONSE);
  }

  private static int[] axdrLength(byte[] b, int pos, String where) {
    if (pos >= b.length) {
      throw new Malformed(where + ": no length");
    }
    int first = b[pos] & 0xFF;
    if (first < 0x80) {
      return new int[] {first, pos + 1};
    }
    int n = first & 0x7F;
    if (n == 0 || n > 4 || pos + n >= b.length) {
      throw new Malformed(where + ": bad length octets");
    }
    int len = 0;
    for (int i = 1; i <= n; i++) {
      len = (len << 8) | (b[pos + i] & 0xFF);
    }
    return new int[] {len, pos + 1 + n};
  }

  /** ExceptionResponse: state-error (1|2), service-error (1..6), invocation-counter-error carries a uint32. */
  private static void exception(byte[] a) {
    if (a.length < 3) {
      throw new Malformed("exception response of " + a.length + " bytes");
    }
    int state = a[1] & 0xFF;
    int service = a[2] & 0xFF;
    if (state < 1 || state > 2 || service < 1 || service > 6) {
      throw new Malformed("exception response state " + state + " service " + service);
    }
    fixed(a, service == 6 ? 7 : 3, "exception response");
  }

  private static void fixed(byte[] a, int length, String what) {
    if (a.length != length) {
      throw new Malformed(what + " of " + a.length + " bytes, want " + length);
    }
  }
}
