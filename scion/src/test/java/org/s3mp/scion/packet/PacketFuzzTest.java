package org.s3mp.scion.packet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A seeded fuzz loop over the packet parser: 1,000,000 inputs, mostly mutations of valid golden packets (bit
 * flips, byte overwrites, truncation, extension, length-field edits) plus purely random bytes. Only
 * {@link PacketParseException} may escape; anything that decodes must re-encode to the same bytes. The timeout
 * catches hangs.
 */
class PacketFuzzTest {
  private static final int INPUTS = 1_000_000;

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS) // ~5 s normally; generous for a loaded shared machine
  void onlyTheDeclaredExceptionEscapes() throws Exception {
    List<byte[]> seeds = new ArrayList<>();
    for (String name : new String[] {"udp-std-ipv4.bin", "udp-empty-ipv6.bin", "scmp-echo-request.bin",
        "scmp-traceroute-reply.bin", "scmp-dest-unreachable.bin", "scmp-packet-too-big.bin",
        "scmp-parameter-problem.bin", "scmp-ext-if-down.bin", "scmp-int-conn-down.bin"}) {
      seeds.add(GoldenPacketTest.resource("slayers/" + name));
    }
    SplittableRandom rnd = new SplittableRandom(0x5C10A);
    int decoded = 0;
    int rejected = 0;
    for (int i = 0; i < INPUTS; i++) {
      byte[] input = i % 10 == 0 ? randomBytes(rnd) : mutate(seeds.get(rnd.nextInt(seeds.size())), rnd);
      try {
        ScionPacket p = ScionPacket.decode(input);
        decoded++;
        byte[] again = p.encode();
        if (!java.util.Arrays.equals(again, input)) {
          fail("input %d decoded but re-encoded differently: %s", i, java.util.HexFormat.of().formatHex(input));
        }
      } catch (PacketParseException e) {
        rejected++;
        assertThat(e.getMessage()).isNotBlank();
        if (e.getMessage().startsWith("malformed packet: ")) {
          fail("input %d hit an unchecked exception inside the parser (%s): %s", i, e.getMessage(),
              java.util.HexFormat.of().formatHex(input));
        }
      } catch (RuntimeException | Error e) {
        throw new AssertionError("input " + i + " escaped with " + e + ": "
            + java.util.HexFormat.of().formatHex(input), e);
      }
    }
    assertThat(decoded + rejected).isEqualTo(INPUTS);
    // The mutations must exercise both outcomes, or the loop proves nothing.
    assertThat(decoded).isGreaterThan(1000);
    assertThat(rejected).isGreaterThan(INPUTS / 2);
  }

  private static byte[] randomBytes(SplittableRandom rnd) {
    byte[] b = new byte[rnd.nextInt(200)];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) rnd.nextInt(256);
    }
    if (b.length > 0) {
      b[0] &= 0x0F; // mostly version 0, so the later checks are reached
    }
    return b;
  }

  private static byte[] mutate(byte[] seed, SplittableRandom rnd) {
    byte[] b = seed.clone();
    int kind = rnd.nextInt(7);
    switch (kind) {
      case 0 -> { // flip bits
        int n = 1 + rnd.nextInt(3);
        for (int k = 0; k < n; k++) {
          int pos = rnd.nextInt(b.length);
          b[pos] ^= (byte) (1 << rnd.nextInt(8));
        }
      }
      case 1 -> b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
      case 2 -> b = java.util.Arrays.copyOf(b, rnd.nextInt(b.length + 1));
      case 3 -> b = java.util.Arrays.copyOf(b, b.length + 1 + rnd.nextInt(40));
      case 4 -> b[4 + rnd.nextInt(6)] = (byte) rnd.nextInt(256); // NextHdr, HdrLen, PayloadLen, PathType, types
      case 5 -> { // the path meta header and info/hop flags, which drive the path checks
        if (b.length > 40) {
          b[36 + rnd.nextInt(4)] = (byte) rnd.nextInt(256);
        }
      }
      default -> { } // unchanged: a valid packet
    }
    return b;
  }
}
