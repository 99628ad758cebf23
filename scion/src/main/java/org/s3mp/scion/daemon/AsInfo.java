package org.s3mp.scion.daemon;

import org.s3mp.scion.IsdAs;

/** What the daemon says about an AS: its number, whether it is a core AS, and its intra-AS MTU. */
public record AsInfo(IsdAs isdAs, boolean core, int mtu) {}
