package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.s3mp.testbed.S3mpHome;
import org.slf4j.LoggerFactory;

class MeterFootprintTest {

  @Test
  void benchmarkMetersRunWithTheLaunchersMeterOptions() throws Exception {
    Path options = S3mpHome.dir().resolve("app").resolve("meter.jvm.options");
    List<String> cmd = BenchCommand.meterCommand();

    assertThat(cmd).contains("@" + options).doesNotContain("-Xmx64m");
    List<String> lines = Files.readAllLines(options);
    assertThat(lines).contains("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    assertThat(Files.readString(S3mpHome.dir().resolve("s3mp"))).contains("@$root/app/meter.jvm.options");
  }

  @Test
  void loggingIsConfiguredInCodeNotByTheXmlConfigurator() {
    LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);

    assertThat(root.getAppender("STDERR")).isNotNull();
    assertThat(context.getLogger("io.grpc").getLevel()).isEqualTo(Level.WARN);
    assertThat(context.getLogger("org.eclipse.jetty").getLevel()).isEqualTo(Level.WARN);
    // our configurator did it, not Joran with an XML file
    assertThat(context.getStatusManager().getCopyOfStatusList())
        .anyMatch(s -> s.getMessage().contains(LogConfigurator.class.getName()));
  }
}
