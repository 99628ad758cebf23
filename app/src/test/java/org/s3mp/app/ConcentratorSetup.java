package org.s3mp.app;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.s3mp.headend.Headend;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;
import org.s3mp.headend.keys.MasterKey;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.testbed.Testbed;

/**
 * The set-up of the SCION ITs of the commands: a meter process serving over SCION in the testbed's concentrator
 * AS, and a head-end in this JVM that has it as m1 and reads it from the head-end AS.
 */
final class ConcentratorSetup {

  private ConcentratorSetup() {}

  /** The meter process, in {@code dir}, with more of its command line's {@code options}. */
  static MeterProcess meter(Testbed tb, Path dir, String... options) throws Exception {
    List<String> all = new ArrayList<>(List.of("--daemon", tb.daemonHostPort(tb.concentrator())));
    all.addAll(List.of(options));
    return MeterProcess.start(dir, "scion://" + tb.concentrator() + ",["
        + tb.hostAddress(tb.concentrator()).getHostAddress() + "]:0", all.toArray(String[]::new));
  }

  /**
   * The head-end: its database in DIR/db, its keys directory DIR/headend-keys with a copy of the meter's keys,
   * one operator token, the meter not polled.
   */
  static Headend headend(Testbed tb, Path dir, MeterProcess meter, String operatorToken, Optional<MasterKey> master)
      throws Exception {
    Path keys = Files.createDirectories(dir.resolve("headend-keys"));
    Files.copy(meter.keys(), keys.resolve("m1.keys"));
    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", null),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null),
        new HeadendConfig.Polling(1, 5000, 900, 1),
        List.of(new HeadendConfig.Token("olga", "operator", TokenStore.sha256(operatorToken))),
        List.of(new MeterInput("m1", meter.url(), "m1.keys", null, false, 0, false)))
        .withKeysDirectory(keys.toString()).withDefaults();
    return Headend.start(config, new DlmsMeterConnector(tb.daemonHostPort(tb.headEnd())),
        master);
  }
}
