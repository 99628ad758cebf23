package org.s3mp.scion;

/** The kind of inter-AS link announced in path metadata. */
public enum LinkType {
  UNSPECIFIED, DIRECT, MULTI_HOP, OPEN_NET
}
