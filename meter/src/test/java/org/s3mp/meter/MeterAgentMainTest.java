package org.s3mp.meter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.s3mp.dlms.transport.MeterUrl;
import picocli.CommandLine;

/** The plain agent process's options (the process itself runs in the ITs that start it). */
class MeterAgentMainTest {
  private static MeterAgentMain parse(String... args) {
    MeterAgentMain agent = new MeterAgentMain();
    MeterAgentMain.commandLine(agent).parseArgs(args);
    return agent;
  }

  @Test
  void everyOptionReachesItsField() {
    MeterAgentMain a = parse("--simulated", "--seed", "7", "--data", "d", "--keys", "k", "--listen",
        "tcp://127.0.0.1:4059", "--listen", "scion://1-ff00:0:111,[127.0.0.1]:4060", "--capture-period", "60",
        "--pre-association-timeout", "2", "--clock-offset", "-1.5", "--daemon", "127.0.0.1:30255",
        "--push", "tcp://127.0.0.1:4069", "--push-period", "5", "--simulate-outage", "3:4");
    assertThat(a.data).isEqualTo(Path.of("d"));
    assertThat(a.keys).isEqualTo(Path.of("k"));
    assertThat(a.listen).containsExactly(MeterUrl.parse("tcp://127.0.0.1:4059"),
        MeterUrl.parse("scion://1-ff00:0:111,[127.0.0.1]:4060"));
    assertThat(a.seed).isEqualTo(7);
    assertThat(a.period).isEqualTo(60);
    assertThat(a.preAssociationTimeout).isEqualTo("2");
    assertThat(a.clockOffset).isEqualTo(-1.5);
    assertThat(a.daemon).isEqualTo("127.0.0.1:30255");
    assertThat(a.push).isEqualTo("tcp://127.0.0.1:4069");
    assertThat(a.pushPeriod).isEqualTo(5L);
    assertThat(a.outage).isEqualTo("3:4");
    assertThat(a.modbusTcp).isNull();
    assertThat(a.map).isEqualTo("or-we-514");
    assertThat(a.slave).isEqualTo(1);
  }

  @Test
  void defaultsWithoutOptionalOptions() {
    MeterAgentMain a = parse("--data", "d", "--keys", "k");
    assertThat(a.seed).isEqualTo(1);
    assertThat(a.period).isEqualTo(AgentConfig.DEFAULT_CAPTURE_PERIOD);
    assertThat(a.listen).isEmpty();
    assertThat(a.clockOffset).isNull();
  }

  @Test
  void missingRequiredOptionsUnknownOnesAndBadUrlsAreRefused() {
    assertThatThrownBy(() -> parse("--data", "d")).isInstanceOf(CommandLine.ParameterException.class)
        .hasMessageContaining("--keys");
    assertThatThrownBy(() -> parse("--data", "d", "--keys", "k", "--frobnicate"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("--frobnicate");
    assertThatThrownBy(() -> parse("--data", "d", "--keys", "k", "--listen", "127.0.0.1:4059"))
        .isInstanceOf(CommandLine.ParameterException.class).hasMessageContaining("not a meter URL");
    assertThatThrownBy(() -> parse("--data", "d", "--keys", "k", "--seed")).isInstanceOf(
        CommandLine.ParameterException.class).hasMessageContaining("--seed");
  }
}
