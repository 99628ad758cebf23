package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.transport.LinkOptions;
import picocli.CommandLine;

/** The SCION options the meter commands share, as picocli parses them into transport options. */
class ScionClientOptionsTest {
  @CommandLine.Command(name = "probe")
  static final class Probe {
    @CommandLine.Mixin ScionClientOptions scion;
  }

  private static LinkOptions parse(String... args) {
    Probe p = new Probe();
    new CommandLine(p).parseArgs(args);
    return p.scion.linkOptions(Duration.ofSeconds(1));
  }

  @Test
  void epicIsPassedToTheTransportOnlyWhenGiven() {
    assertThat(parse("--epic").parameter(LinkOptions.EPIC)).isEqualTo("true");
    assertThat(parse().parameter(LinkOptions.EPIC)).isNull();
    assertThat(parse("--daemon", "127.0.0.1:30255", "--epic").parameter(LinkOptions.SCION_DAEMON))
        .isEqualTo("127.0.0.1:30255");
  }
}
