package org.s3mp.dlms.transport;

import java.util.List;

/**
 * The network path that carried the last exchange of a link, for path-aware transports: the hops in scionproto's
 * notation ({@code [1-ff00:0:112 2>2 1-ff00:0:120 1>2 1-ff00:0:111]}), its interfaces ({@code 1-ff00:0:112#2},
 * ...), the ASes and ISDs it crossed and the countries its hops are in.
 */
public record LinkPath(String hops, List<String> interfaces, List<String> ases, List<Integer> isds,
    List<String> countries) {
  public LinkPath {
    interfaces = List.copyOf(interfaces);
    ases = List.copyOf(ases);
    isds = List.copyOf(isds);
    countries = List.copyOf(countries);
  }
}
