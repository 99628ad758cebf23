package org.s3mp.scion.socket;

import java.net.InetSocketAddress;
import org.s3mp.scion.packet.ScionPacket;

/** A decoded SCION packet and the underlay address it came from (the last router, or the sender in the AS). */
public record ReceivedPacket(ScionPacket packet, InetSocketAddress underlaySource) {}
