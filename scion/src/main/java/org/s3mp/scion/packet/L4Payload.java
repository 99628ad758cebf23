package org.s3mp.scion.packet;

/** The layer after the SCION header: {@link UdpDatagram} or {@link ScmpMessage}. */
public sealed interface L4Payload permits UdpDatagram, ScmpMessage {
  /** The SCION NextHdr protocol number (17 UDP, 202 SCMP). */
  int protocol();
}
