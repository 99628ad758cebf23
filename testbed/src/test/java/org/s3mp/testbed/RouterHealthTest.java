package org.s3mp.testbed;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The routers' BFD state as their Prometheus endpoint shows it (lines as scionproto v0.15.1 prints them). */
class RouterHealthTest {
  @Test
  void linkAndSiblingsUp() {
    RouterHealth.State s = RouterHealth.parse("""
        # HELP router_interface_up Either zero or one depending on whether the interface is up.
        # TYPE router_interface_up gauge
        router_interface_up{interface="1",isd_as="1-ff00:0:111",neighbor_isd_as="1-ff00:0:110"} 1
        router_sibling_reachable{isd_as="1-ff00:0:111",sibling="br1-ff00_0_111-2"} 1
        router_input_pkts_total{interface="1",isd_as="1-ff00:0:111",neighbor_isd_as="1-ff00:0:110"} 0
        """);
    assertThat(s.linkUp()).isTrue();
    assertThat(s.unreachableSiblings()).isEmpty();
    assertThat(s.error()).isNull();
  }

  @Test
  void linkDownAndAnUnreachableSibling() {
    RouterHealth.State s = RouterHealth.parse("""
        router_interface_up{interface="2",isd_as="1-ff00:0:111",neighbor_isd_as="1-ff00:0:120"} 0
        router_sibling_reachable{isd_as="1-ff00:0:111",sibling="br1-ff00_0_111-1"} 0
        """);
    assertThat(s.linkUp()).isFalse();
    assertThat(s.unreachableSiblings()).containsExactly("br1-ff00_0_111-1");
  }

  @Test
  void noStateYetIsNotUp() {
    RouterHealth.State s = RouterHealth.parse("# nothing exported yet\n");
    assertThat(s.linkUp()).isFalse();
    assertThat(s.error()).contains("no BFD state");
  }

  @Test
  void droppedInvalidSumsEveryLabelSetOfThatReasonOnly() {
    long n = RouterHealth.parseDroppedInvalid("""
        # HELP router_dropped_pkts_total Total number of packets dropped by the router.
        # TYPE router_dropped_pkts_total counter
        router_dropped_pkts_total{interface="1",isd_as="1-ff00:0:110",neighbor_isd_as="1-ff00:0:111",reason="invalid",sizeclass="0_63"} 2
        router_dropped_pkts_total{interface="1",isd_as="1-ff00:0:110",neighbor_isd_as="1-ff00:0:111",reason="invalid",sizeclass="128_255"} 3
        router_dropped_pkts_total{interface="internal",isd_as="1-ff00:0:110",neighbor_isd_as="1-ff00:0:110",reason="busy_forwarder",sizeclass="0_63"} 40
        router_input_pkts_total{interface="1",isd_as="1-ff00:0:110",neighbor_isd_as="1-ff00:0:111",sizeclass="0_63"} 99
        """);
    assertThat(n).isEqualTo(5);
    assertThat(RouterHealth.parseDroppedInvalid("# nothing yet\n")).isZero();
  }
}
