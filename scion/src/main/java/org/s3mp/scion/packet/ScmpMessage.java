package org.s3mp.scion.packet;

import java.util.Arrays;
import org.s3mp.scion.IsdAs;

/**
 * SCMP, SCION's control message protocol (doc/protocols/scmp.rst): a 4-byte header (type, code, checksum
 * over SCION's pseudo header) and a type-specific body. Error messages (types below 128) end with as much of
 * the offending packet as fits (the quote). Unknown types are kept as {@link Other}.
 */
public sealed interface ScmpMessage extends L4Payload {
  int DESTINATION_UNREACHABLE = 1;
  int PACKET_TOO_BIG = 2;
  int PARAMETER_PROBLEM = 4;
  int EXTERNAL_INTERFACE_DOWN = 5;
  int INTERNAL_CONNECTIVITY_DOWN = 6;
  int ECHO_REQUEST = 128;
  int ECHO_REPLY = 129;
  int TRACEROUTE_REQUEST = 130;
  int TRACEROUTE_REPLY = 131;

  int type();

  int code();

  @Override
  default int protocol() {
    return ScionHeader.NEXT_HDR_SCMP;
  }

  default boolean isError() {
    return type() < 128;
  }

  /** Echo request (128) or reply (129); the identifier is the sender's port in SCION's dispatcher-less mode. */
  record Echo(int type, int code, int identifier, int sequence, byte[] data) implements ScmpMessage {
    public Echo {
      check(type == ECHO_REQUEST || type == ECHO_REPLY, "echo type must be 128 or 129");
      check16(identifier, sequence);
      checkCode(code);
      data = data.clone();
    }

    public static Echo request(int identifier, int sequence, byte[] data) {
      return new Echo(ECHO_REQUEST, 0, identifier, sequence, data);
    }

    public Echo reply() {
      return new Echo(ECHO_REPLY, 0, identifier, sequence, data);
    }

    @Override
    public byte[] data() {
      return data.clone();
    }
  }

  /** Traceroute request (130) or reply (131). */
  record Traceroute(int type, int code, int identifier, int sequence, IsdAs isdAs, long interfaceId)
      implements ScmpMessage {
    public Traceroute {
      check(type == TRACEROUTE_REQUEST || type == TRACEROUTE_REPLY, "traceroute type must be 130 or 131");
      check16(identifier, sequence);
      checkCode(code);
    }
  }

  record DestinationUnreachable(int code, long unused, byte[] quote) implements ScmpMessage {
    public DestinationUnreachable {
      checkCode(code);
      quote = quote.clone();
    }

    @Override
    public int type() {
      return DESTINATION_UNREACHABLE;
    }

    @Override
    public byte[] quote() {
      return quote.clone();
    }
  }

  record PacketTooBig(int code, int reserved, int mtu, byte[] quote) implements ScmpMessage {
    public PacketTooBig {
      checkCode(code);
      check16(reserved, mtu);
      quote = quote.clone();
    }

    @Override
    public int type() {
      return PACKET_TOO_BIG;
    }

    @Override
    public byte[] quote() {
      return quote.clone();
    }
  }

  /** Parameter problem; code 51 = invalid hop field MAC, 52 = path expired (see scmp.rst for all codes). */
  record ParameterProblem(int code, int reserved, int pointer, byte[] quote) implements ScmpMessage {
    public ParameterProblem {
      checkCode(code);
      check16(reserved, pointer);
      quote = quote.clone();
    }

    @Override
    public int type() {
      return PARAMETER_PROBLEM;
    }

    @Override
    public byte[] quote() {
      return quote.clone();
    }
  }

  /** Type 5: the link at interface {@code interfaceId} of AS {@code isdAs} is down. */
  record ExternalInterfaceDown(int code, IsdAs isdAs, long interfaceId, byte[] quote) implements ScmpMessage {
    public ExternalInterfaceDown {
      checkCode(code);
      quote = quote.clone();
    }

    @Override
    public int type() {
      return EXTERNAL_INTERFACE_DOWN;
    }

    @Override
    public byte[] quote() {
      return quote.clone();
    }
  }

  /** Type 6: inside AS {@code isdAs}, the routers of the two interfaces cannot reach each other. */
  record InternalConnectivityDown(int code, IsdAs isdAs, long ingressId, long egressId, byte[] quote)
      implements ScmpMessage {
    public InternalConnectivityDown {
      checkCode(code);
      quote = quote.clone();
    }

    @Override
    public int type() {
      return INTERNAL_CONNECTIVITY_DOWN;
    }

    @Override
    public byte[] quote() {
      return quote.clone();
    }
  }

  /** Any other type: the body after the 4-byte header, kept as is. */
  record Other(int type, int code, byte[] body) implements ScmpMessage {
    public Other {
      check((type & ~0xFF) == 0 && !isKnown(type), "type " + type + " has its own record");
      checkCode(code);
      body = body.clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }
  }

  private static boolean isKnown(int type) {
    return switch (type) {
      case DESTINATION_UNREACHABLE, PACKET_TOO_BIG, PARAMETER_PROBLEM, EXTERNAL_INTERFACE_DOWN,
          INTERNAL_CONNECTIVITY_DOWN, ECHO_REQUEST, ECHO_REPLY, TRACEROUTE_REQUEST, TRACEROUTE_REPLY -> true;
      default -> false;
    };
  }

  private static void check(boolean ok, String message) {
    if (!ok) {
      throw new IllegalArgumentException(message);
    }
  }

  private static void checkCode(int code) {
    check((code & ~0xFF) == 0, "SCMP code out of range: " + code);
  }

  private static void check16(int a, int b) {
    check((a & ~0xFFFF) == 0 && (b & ~0xFFFF) == 0, "SCMP 16-bit field out of range");
  }

  static ScmpMessage decode(ByteReader r, ScionHeader h) throws PacketParseException {
    int start = r.position();
    int total = r.remaining();
    int type = r.u8("SCMP type");
    int code = r.u8("SCMP code");
    int sum = r.u16("SCMP checksum");
    if (h.checksum(r.array(), start, total, ScionHeader.NEXT_HDR_SCMP) != 0) {
      throw new PacketParseException("SCMP checksum 0x" + Integer.toHexString(sum) + " is wrong");
    }
    String t = "SCMP type " + type + " ";
    return switch (type) {
      case ECHO_REQUEST, ECHO_REPLY -> new Echo(type, code, r.u16(t + "identifier"), r.u16(t + "sequence"),
          r.bytes(r.remaining(), t + "data"));
      case TRACEROUTE_REQUEST, TRACEROUTE_REPLY -> {
        Traceroute tr = new Traceroute(type, code, r.u16(t + "identifier"), r.u16(t + "sequence"),
            IsdAs.fromLong(r.u64(t + "ISD-AS")), r.u64(t + "interface id"));
        if (r.remaining() != 0) {
          throw new PacketParseException(t + "has " + r.remaining() + " trailing bytes");
        }
        yield tr;
      }
      case DESTINATION_UNREACHABLE -> new DestinationUnreachable(code, r.u32(t + "unused"), rest(r));
      case PACKET_TOO_BIG -> new PacketTooBig(code, r.u16(t + "reserved"), r.u16(t + "MTU"), rest(r));
      case PARAMETER_PROBLEM -> new ParameterProblem(code, r.u16(t + "reserved"), r.u16(t + "pointer"), rest(r));
      case EXTERNAL_INTERFACE_DOWN -> new ExternalInterfaceDown(code, IsdAs.fromLong(r.u64(t + "ISD-AS")),
          r.u64(t + "interface id"), rest(r));
      case INTERNAL_CONNECTIVITY_DOWN -> new InternalConnectivityDown(code, IsdAs.fromLong(r.u64(t + "ISD-AS")),
          r.u64(t + "ingress interface id"), r.u64(t + "egress interface id"), rest(r));
      default -> new Other(type, code, rest(r));
    };
  }

  private static byte[] rest(ByteReader r) throws PacketParseException {
    return r.bytes(r.remaining(), "SCMP quote");
  }

  static void encode(ScmpMessage m, ByteWriter w, ScionHeader h) {
    int start = w.length();
    w.u8(m.type()).u8(m.code()).u16(0);
    if (m instanceof Echo e) {
      w.u16(e.identifier()).u16(e.sequence()).bytes(e.data);
    } else if (m instanceof Traceroute tr) {
      w.u16(tr.identifier()).u16(tr.sequence()).u64(tr.isdAs().toLong()).u64(tr.interfaceId());
    } else if (m instanceof DestinationUnreachable d) {
      w.u32(d.unused()).bytes(d.quote);
    } else if (m instanceof PacketTooBig p) {
      w.u16(p.reserved()).u16(p.mtu()).bytes(p.quote);
    } else if (m instanceof ParameterProblem p) {
      w.u16(p.reserved()).u16(p.pointer()).bytes(p.quote);
    } else if (m instanceof ExternalInterfaceDown x) {
      w.u64(x.isdAs().toLong()).u64(x.interfaceId()).bytes(x.quote);
    } else if (m instanceof InternalConnectivityDown x) {
      w.u64(x.isdAs().toLong()).u64(x.ingressId()).u64(x.egressId()).bytes(x.quote);
    } else if (m instanceof Other o) {
      w.bytes(o.body);
    }
    w.putU16At(start + 2, h.checksum(w.array(), start, w.length() - start, ScionHeader.NEXT_HDR_SCMP));
  }
}
