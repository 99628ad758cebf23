package org.s3mp.dlms.client;

import gurux.dlms.enums.ObjectType;
import java.util.Random;
import org.s3mp.dlms.MeterObjects;
import org.s3mp.dlms.security.KeysFile;

/**
 * Wrapper PDUs an attacker sends at a meter, for the flood benchmark: random bytes, association requests, and
 * ciphered requests with an old invocation counter (what a captured and replayed frame looks like to the meter).
 * A meter must refuse each of them cheaply; one that trusts only its head-ends drops them before any parsing.
 */
public final class FloodPdus {
  private FloodPdus() {}

  /** Random bytes of 8 to {@code maxLength} (at least 8) bytes, starting like a wrapper header half the time. */
  public static byte[] garbage(Random random, int maxLength) {
    byte[] b = new byte[8 + random.nextInt(Math.max(1, maxLength - 7))];
    random.nextBytes(b);
    if (random.nextBoolean()) {
      b[0] = 0;
      b[1] = 1; // wrapper version 1: the frame gets as far as the wrapper parser
    }
    return b;
  }

  /** The AARQ of a client: the public client without keys, or the management client (HLS-GMAC) with them. */
  public static byte[] associationRequest(ClientSecurity security) {
    try {
      return Association.newDlms(security, 1)
          .aarqRequest()[0];
    } catch (Exception e) {
      throw new IllegalStateException("Gurux could not encode an AARQ: " + e, e);
    }
  }

  /**
   * A ciphered GET of the energy register with the given invocation counter: a replay once the meter has seen a
   * higher one.
   */
  public static byte[] staleRequest(KeysFile keys, long invocationCounter) {
    try {
      return Association.newDlms(ClientSecurity.management(keys), invocationCounter)
          .read(MeterObjects.ACTIVE_ENERGY_IMPORT.toString(), ObjectType.REGISTER, 2)[0];
    } catch (Exception e) {
      throw new IllegalStateException("Gurux could not encode a GET: " + e, e);
    }
  }
}
