package org.s3mp.dlms.client;

import org.s3mp.dlms.transport.WrapperPdu;

/**
 * Whether a wrapper PDU from the meter can be the response to a request, for links that lose, repeat and reorder
 * PDUs (SCION/UDP): a late response to an earlier conversation with the same meter must not pass for this one. A
 * new link to a meter gets the meter's address of the link before it, so the public client's release response, or
 * a retransmitted answer of an association that just failed, can arrive when the next association's AARQ is
 * waiting. What tells them apart without looking further into the APDU: the wrapper ports (the response goes from
 * the request's destination to its source, so a public client's answer never passes for the management client's)
 * and the APDU tag of the association services (an AARQ is answered by an AARE, an RLRQ by an RLRE or an exception
 * response, anything else by neither AARE nor RLRE).
 */
final class ResponseMatch {
  private static final int AARQ = 0x60;
  private static final int AARE = 0x61;
  private static final int RLRQ = 0x62;
  private static final int RLRE = 0x63;
  /** A meter that cannot release (e.g. no association any more) may say so with an exception response. */
  private static final int EXCEPTION_RESPONSE = 0xD8;

  private ResponseMatch() {}

  static boolean answers(byte[] request, byte[] response) {
    if (request.length <= WrapperPdu.HEADER_LENGTH || response.length <= WrapperPdu.HEADER_LENGTH) {
      return true; // not ours to judge: the association reports a malformed PDU
    }
    if (WrapperPdu.sourcePort(response) != WrapperPdu.destinationPort(request)
        || WrapperPdu.destinationPort(response) != WrapperPdu.sourcePort(request)) {
      return false;
    }
    int asked = request[WrapperPdu.HEADER_LENGTH] & 0xFF;
    int got = response[WrapperPdu.HEADER_LENGTH] & 0xFF;
    return switch (asked) {
      case AARQ -> got == AARE;
      case RLRQ -> got == RLRE || got == EXCEPTION_RESPONSE;
      default -> got != AARE && got != RLRE;
    };
  }
}
