package org.s3mp.headend.firmware;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.headend.Conditions;
import org.s3mp.headend.commands.AuditLog;
import org.s3mp.headend.fleet.FleetRegistry;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.fleet.ProfileEntry;
import org.s3mp.headend.polling.ClockSettings;
import org.s3mp.headend.polling.FirmwareProgress;
import org.s3mp.headend.polling.FirmwareRefusedException;
import org.s3mp.headend.polling.FleetPoller;
import org.s3mp.headend.polling.MeterConnection;
import org.s3mp.headend.polling.MeterConnector;
import org.s3mp.headend.polling.MeterSnapshot;
import org.s3mp.headend.polling.PollingSettings;
import org.s3mp.headend.storage.Database;
import org.s3mp.headend.storage.ProfileStore;
import org.s3mp.headend.storage.ReadingStore;

/**
 * Rollouts against meters whose transfers the test holds and lets go (a connector in this process), on H2: the
 * concurrency, pause and resume, refusals and rollbacks, cancel, and a restart in the middle of a transfer.
 */
class RolloutsTest {
  static final Duration WAIT = Duration.ofSeconds(20);

  @TempDir Path dir;
  Database db;
  ReadingStore readings;
  FleetRegistry registry;
  FleetPoller poller;
  AuditLog audit;
  Rollouts rollouts;
  KeyPair vendor = FirmwareImage.generateKeyPair();
  final Gates meters = new Gates();

  /** Each meter's transfer waits at its gate (open unless closed) after its first block. */
  static final class Gates implements MeterConnector {
    final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    final Map<String, String> firmware = new ConcurrentHashMap<>();
    final Map<String, FirmwareRefusedException.Kind> refuse = new ConcurrentHashMap<>();
    final Map<String, Integer> transfers = new ConcurrentHashMap<>();

    void close(String meter) {
      gates.put(meter, new CountDownLatch(1));
    }

    void open(String meter) {
      CountDownLatch g = gates.get(meter);
      if (g != null) {
        g.countDown();
      }
    }

    @Override
    public MeterConnection open(MeterSpec spec, java.time.Duration responseTimeout) {
      String id = spec.id();
      return new MeterConnection() {
        @Override
        public MeterSnapshot read() {
          return new MeterSnapshot(List.of(), "connected", null);
        }

        @Override
        public String transferFirmware(byte[] image, String firmwareId, Instant activateAt,
            FirmwareProgress progress) throws IOException {
          transfers.merge(id, 1, Integer::sum);
          for (long sent = 0; sent < image.length; ) {
            sent = Math.min(image.length, sent + 1024);
            if (!progress.sent(sent, image.length)) {
              throw new FirmwareRefusedException(FirmwareRefusedException.Kind.STOPPED, "stopped", null);
            }
            CountDownLatch g = gates.get(id);
            if (g != null) {
              try {
                if (!g.await(30, TimeUnit.SECONDS)) {
                  throw new IOException("gate of " + id + " never opened");
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
              }
            }
          }
          progress.step("image_verify");
          FirmwareRefusedException.Kind kind = refuse.get(id);
          if (kind == FirmwareRefusedException.Kind.REFUSED) {
            throw new FirmwareRefusedException(kind, "image_verify refused by the meter: signature", null);
          }
          progress.step("image_activate");
          if (kind == FirmwareRefusedException.Kind.ROLLED_BACK) {
            throw new FirmwareRefusedException(kind, "the new firmware failed to start, rolled back", null);
          }
          firmware.put(id, firmwareId);
          return firmwareId;
        }

        @Override
        public String readFirmwareId() {
          return firmware.getOrDefault(id, "s3mp-meter 1.0");
        }

        @Override
        public String disconnect() {
          return "disconnected";
        }

        @Override
        public String reconnect() {
          return "connected";
        }

        @Override
        public String showMessage(String text) {
          return text;
        }

        @Override
        public List<ProfileEntry> readProfile(Instant from, Instant to) {
          return List.of();
        }

        @Override
        public Instant readClock() {
          return Instant.now();
        }

        @Override
        public void setClock(Instant time) {}

        @Override
        public void close() {}
      };
    }
  }

  @BeforeEach
  void open() throws IOException {
    Files.createDirectories(dir.resolve("vendors"));
    Files.writeString(dir.resolve("vendors/acme.pub"), FirmwareImage.pem(vendor.getPublic()));
    startHeadend();
    for (String id : List.of("m1", "m2", "m3", "m4")) {
      MeterSpec spec = new MeterSpec(id, "tcp://127.0.0.1:1", "k", null, false, 0, false);
      registry.add(spec);
      poller.add(spec);
    }
  }

  private void startHeadend() {
    db = Database.open(dir.resolve("db").toString(), null, null);
    readings = new ReadingStore(db);
    registry = new FleetRegistry(db);
    audit = new AuditLog(db);
    poller = new FleetPoller(meters, readings, new ProfileStore(db), registry, PollingSettings.defaults(),
        ClockSettings.defaults(), audit, new SimpleMeterRegistry());
    poller.start();
    rollouts = new Rollouts(db, poller, registry, audit, dir.resolve("vendors"), "test-instance");
    rollouts.start();
  }

  @AfterEach
  void close() {
    meters.gates.values().forEach(CountDownLatch::countDown);
    stopHeadend();
  }

  private void stopHeadend() {
    rollouts.close();
    poller.close();
    readings.close();
    db.close();
  }

  private String upload(String firmwareId) {
    byte[] image = FirmwareImage.sign(firmwareId, new byte[20_000], true, vendor.getPrivate()).encode();
    return (String) rollouts.upload(image, "olga").get("id");
  }

  private long create(List<String> ids, int concurrency) {
    return ((Number) rollouts.create(new Rollouts.Request(upload("s3mp-meter 2.0"), ids, null, null, concurrency,
        null), "olga").get("id")).longValue();
  }

  @SuppressWarnings("unchecked")
  private Map<String, String> states(long id) {
    Map<String, String> result = new java.util.TreeMap<>();
    for (Map<String, Object> m : (List<Map<String, Object>>) rollouts.get(id).get("meters")) {
      result.put((String) m.get("meterId"), (String) m.get("state"));
    }
    return result;
  }

  @SuppressWarnings("unchecked")
  private Map<String, Object> meter(long id, String meterId) {
    return ((List<Map<String, Object>>) rollouts.get(id).get("meters")).stream()
        .filter(m -> meterId.equals(m.get("meterId"))).findFirst().orElseThrow();
  }

  private String state(long id) {
    return (String) rollouts.get(id).get("state");
  }

  /** Waits for a pass of the runner that began after now. */
  private void awaitPass(long id) {
    Instant after = Instant.now();
    Conditions.await("a pass over rollout " + id, WAIT, () -> {
      Object at = rollouts.get(id).get("checkedAt");
      return at != null && ((Instant) at).isAfter(after);
    });
  }

  @Test
  void noMoreTransfersAtOnceThanTheConcurrencyAndAllEndActive() {
    List.of("m1", "m2", "m3", "m4").forEach(meters::close);
    long id = create(List.of("m1", "m2", "m3", "m4"), 2);
    Conditions.await("two transferring", WAIT, () -> states(id).values().stream()
        .filter("transferring"::equals).count() == 2);
    awaitPass(id);
    assertThat(states(id)).containsEntry("m1", "transferring").containsEntry("m2", "transferring")
        .containsEntry("m3", "pending").containsEntry("m4", "pending");
    Conditions.await("progress written", WAIT, () -> ((Number) meter(id, "m1").get("bytesDone")).longValue() > 0);
    meters.open("m1");
    Conditions.await("m3 starts once m1 is done", WAIT, () -> states(id).get("m3").equals("transferring"));
    assertThat(states(id)).containsEntry("m1", "active").containsEntry("m4", "pending");
    List.of("m2", "m3", "m4").forEach(meters::open);
    Conditions.await("done", WAIT, () -> state(id).equals("done"));
    assertThat(states(id).values()).containsOnly("active");
    assertThat(meter(id, "m4").get("firmwareId")).isEqualTo("s3mp-meter 2.0");
    assertThat(meter(id, "m4").get("bytesDone")).isEqualTo(meter(id, "m4").get("bytesTotal"));
    assertThat(audit.newest(50)).filteredOn(e -> e.action().equals("firmware-transfer"))
        .hasSize(4).allSatisfy(e -> assertThat(e.result()).isEqualTo("ok"));
  }

  @Test
  void aPauseLetsTheTransferInProgressFinishAndStartsNoOtherUntilResumed() {
    meters.close("m1");
    long id = create(List.of("m1", "m2", "m3"), 1);
    Conditions.await("m1 transferring", WAIT, () -> states(id).get("m1").equals("transferring"));
    assertThat(rollouts.pause(id, "olga").get("state")).isEqualTo("paused");
    assertThatThrownBy(() -> rollouts.pause(id, "olga")).isInstanceOf(RolloutPlan.NotAllowedException.class);
    meters.open("m1");
    Conditions.await("m1 active", WAIT, () -> states(id).get("m1").equals("active"));
    awaitPass(id);
    awaitPass(id);
    assertThat(states(id)).containsEntry("m2", "pending").containsEntry("m3", "pending");
    assertThat(state(id)).isEqualTo("paused");
    rollouts.resume(id, "olga");
    Conditions.await("done", WAIT, () -> state(id).equals("done"));
    assertThat(states(id).values()).containsOnly("active");
    assertThat(audit.newest(50)).extracting(e -> e.action())
        .contains("firmware-rollout", "firmware-rollout-pause", "firmware-rollout-resume", "firmware-upload");
  }

  @Test
  void aRefusedImageAndARollbackEndTheirMetersWithTheReasonWhileTheOthersGoOn() {
    meters.refuse.put("m2", FirmwareRefusedException.Kind.REFUSED);
    meters.refuse.put("m3", FirmwareRefusedException.Kind.ROLLED_BACK);
    long id = create(List.of("m1", "m2", "m3", "m4"), 2);
    Conditions.await("done", WAIT, () -> state(id).equals("done"));
    assertThat(states(id)).containsEntry("m1", "active").containsEntry("m2", "failed")
        .containsEntry("m3", "rolled_back").containsEntry("m4", "active");
    assertThat((String) meter(id, "m2").get("reason")).contains("signature");
    assertThat((String) meter(id, "m3").get("reason")).contains("rolled back");
    assertThat(meters.transfers).as("a refused image is not sent again").containsEntry("m2", 1);
    assertThat(audit.newest(50)).filteredOn(e -> e.action().equals("firmware-transfer") && e.meterId().equals("m2"))
        .singleElement().satisfies(e -> assertThat(e.result()).isEqualTo("failed"));
  }

  @Test
  void cancelStopsTheTransferInProgressAndThePendingMeters() {
    meters.close("m1");
    long id = create(List.of("m1", "m2"), 1);
    Conditions.await("m1 transferring", WAIT, () -> states(id).get("m1").equals("transferring"));
    assertThat(rollouts.cancel(id, "olga").get("state")).isEqualTo("cancelled");
    meters.open("m1");
    Conditions.await("m1 cancelled", WAIT, () -> states(id).get("m1").equals("cancelled"));
    assertThat(states(id)).containsEntry("m2", "cancelled");
    assertThat(meters.firmware).doesNotContainKey("m1");
    assertThatThrownBy(() -> rollouts.resume(id, "olga")).isInstanceOf(RolloutPlan.NotAllowedException.class);
  }

  @Test
  void aRestartInTheMiddleOfATransferTransfersAgainAndFinishes() {
    meters.close("m1");
    long id = create(List.of("m1", "m2"), 1);
    // the meter's own count, not the state: "transferring" is written before the session starts the transfer
    Conditions.await("m1's transfer at its gate", WAIT, () -> meters.transfers.getOrDefault("m1", 0) == 1);
    rollouts.close(); // the head-end stops: its transfer ends after the current block, left in flight
    meters.open("m1");
    poller.close();
    readings.close();
    db.close();
    startHeadend();
    Conditions.await("done after the restart", WAIT, () -> state(id).equals("done"));
    assertThat(states(id).values()).containsOnly("active");
    assertThat(meters.transfers.get("m1")).as("m1 transferred again after the restart").isEqualTo(2);
  }

  @Test
  void aMeterRemovedWhileItWaitsEndsFailedAndTheRolloutDone() {
    meters.close("m1");
    long id = create(List.of("m1", "m2"), 1);
    Conditions.await("m1 transferring", WAIT, () -> states(id).get("m1").equals("transferring"));
    poller.remove("m2");
    registry.remove("m2");
    meters.open("m1");
    Conditions.await("done", Duration.ofSeconds(60), () -> state(id).equals("done"));
    assertThat(states(id)).containsEntry("m1", "active").containsEntry("m2", "failed");
    assertThat((String) meter(id, "m2").get("reason")).contains("removed");
  }

  @Test
  void imagesThatDoNotVerifyWithAVendorKeyAreRefusedWithTheReason() throws IOException {
    KeyPair other = FirmwareImage.generateKeyPair();
    byte[] foreign = FirmwareImage.sign("evil 1.0", new byte[100], true, other.getPrivate()).encode();
    assertThatThrownBy(() -> rollouts.upload(foreign, "olga")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("does not verify with any of the 1 vendor keys");
    byte[] good = FirmwareImage.sign("s3mp-meter 2.0", new byte[100], true, vendor.getPrivate()).encode();
    byte[] tampered = good.clone();
    tampered[tampered.length - 1] ^= 1;
    assertThatThrownBy(() -> rollouts.upload(tampered, "olga")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SHA-256");
    assertThatThrownBy(() -> rollouts.upload("hello".getBytes(), "olga"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a firmware image");
    Map<String, Object> stored = rollouts.upload(good, "olga");
    assertThat(stored.get("signer")).isEqualTo("acme.pub");
    assertThat(rollouts.upload(good, "olga").get("id")).as("the same image again").isEqualTo(stored.get("id"));
    assertThat(rollouts.images()).hasSize(1);
    Files.delete(dir.resolve("vendors/acme.pub"));
    assertThatThrownBy(() -> rollouts.upload(good, "olga")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("trusts no firmware vendor key");
    assertThat(audit.newest(10)).filteredOn(e -> e.action().equals("firmware-upload"))
        .extracting(e -> e.result()).contains("ok", "failed");
  }

  @Test
  void aGroupIsMeterIdsOrAFilterAndBadGroupsAreRefused() {
    String image = upload("s3mp-meter 2.0");
    assertThatThrownBy(() -> rollouts.create(new Rollouts.Request(image, List.of("m1", "nope"), null, null, 1,
        null), "olga")).hasMessageContaining("no meter nope");
    assertThatThrownBy(() -> rollouts.create(new Rollouts.Request(image, List.of("m1", "m1"), null, null, 1,
        null), "olga")).hasMessageContaining("twice");
    assertThatThrownBy(() -> rollouts.create(new Rollouts.Request(image, null, null, null, 1, null), "olga"))
        .hasMessageContaining("either meters");
    assertThatThrownBy(() -> rollouts.create(new Rollouts.Request(image, List.of("m1"), null, null, 0, null),
        "olga")).hasMessageContaining("concurrency");
    assertThatThrownBy(() -> rollouts.create(new Rollouts.Request("abc", List.of("m1"), null, null, 1, null),
        "olga")).isInstanceOf(java.util.NoSuchElementException.class);
    assertThatThrownBy(() -> rollouts.create(new Rollouts.Request(image, null, "zzz", null, 1, null), "olga"))
        .hasMessageContaining("no meters");
    Map<String, Object> all = rollouts.create(new Rollouts.Request(image, null, "", "tcp", 4, null), "olga");
    assertThat(all.get("meterCount")).isEqualTo(4);
    long id = ((Number) all.get("id")).longValue();
    Conditions.await("done", WAIT, () -> state(id).equals("done"));
  }
}
