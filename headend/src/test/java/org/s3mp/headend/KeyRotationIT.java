package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.fleet.MeterSpec;
import org.s3mp.headend.keys.MasterKey;
import org.s3mp.headend.keys.MeterKeyStore;
import org.s3mp.headend.polling.DlmsMeterConnector;
import org.s3mp.headend.storage.Database;

/**
 * Key rotation between a real meter agent process and a real head-end process over TCP: rotated keys work and
 * the old ones are refused; a rotation whose confirmation is dropped, followed by kill -9 of the head-end, leaves
 * the meter reachable with its old keys; the head-end refuses to start without the master key once it stores
 * encrypted keys; a rotation that the meter confirmed but the head-end never recorded is finished by the next
 * association.
 */
class KeyRotationIT {
  static final String OPERATOR = "operator-token-of-the-key-rotation-test1";
  static final String VIEWER = "viewer-token-of-the-key-rotation-test-01";
  static final String MASTER = HexFormat.of().formatHex(new byte[32]).replace('0', '7');

  @TempDir Path dir;
  @RegisterExtension final Running running = new Running();

  @Test
  void rotationRetiresTheOldKeysAndSurvivesADroppedConfirmationAndKillDashNine() throws Exception {
    Path meterKeys = RealMeters.keys(dir.resolve("meter"), "m1");
    KeysFile original = KeysFile.load(meterKeys);
    Files.createDirectories(dir.resolve("keys"));
    Files.copy(meterKeys, dir.resolve("keys/m1.keys")); // the head-end's own copy
    Path plain = dir.resolve("keys/m2.keys"); // keys without a key-encryption-key cannot be rotated
    Files.writeString(plain, new KeysFile(original.authenticationKey(), original.encryptionKey(),
        original.clientSystemTitle(), original.serverSystemTitle()).format());
    RealMeters.Meter meter = RealMeters.start(dir.resolve("meter"), "m1", meterKeys, 60, 11);
    running.add(meter);
    ConnectionGate gate = new ConnectionGate(meter.url());
    running.add(gate);
    Path config = config(gate.url());

    ChildProcess headend = startHeadend(config, "headend-1", Map.of(MasterKey.ENV, MASTER));
    Http http = new Http(HeadendProcessMain.baseUri(headend));
    assertThat(read(http).status()).as("reading with the keys file").isEqualTo(200);
    JsonNode before = http.get("/api/meters/m1/keys", VIEWER).json();
    assertThat(before.get("source").asText()).isEqualTo("keysFile");
    assertThat(before.get("keyId").asText()).isEqualTo(original.keyId());
    assertThat(before.get("rotatable").asBoolean()).isTrue();

    // refusals: viewers, keys without a KEK, unknown meters
    Http.Response viewer = http.post("/api/meters/m1/keys/rotate", VIEWER, null);
    assertThat(viewer.status()).as(viewer.body()).isEqualTo(403);
    Http.Response noKek = http.post("/api/meters/m2/keys/rotate", OPERATOR, null);
    assertThat(noKek.status()).as(noKek.body()).isEqualTo(400);
    assertThat(noKek.json().get("error").asText()).contains("key-encryption-key");
    assertThat(http.post("/api/meters/nope/keys/rotate", OPERATOR, null).status()).isEqualTo(404);

    // 1. the confirmation is dropped: the transfer's connection gets through, the next one does not
    gate.allowOnly(1);
    Http.Response dropped = http.post("/api/meters/m1/keys/rotate", OPERATOR, null);
    assertThat(dropped.status()).as(dropped.body()).isEqualTo(502);
    assertThat(dropped.json().get("step").asText()).isEqualTo("confirm");
    Path pendingFile = meter.data().resolve("keys.pending");
    assertThat(pendingFile).as("the meter stored the transferred keys").exists();
    KeysFile transferred = KeysFile.load(pendingFile);
    assertThat(http.get("/api/meters/m1/keys", VIEWER).json().get("pending").get("keyId").asText())
        .isEqualTo(transferred.keyId());
    headend.kill(); // kill -9 with the rotation half done
    gate.allowAll();

    // the meter still answers its old keys, and the new ones are not confirmed by that
    try (MeterClient c = MeterClient.open(meter.url(), ClientSecurity.management(original))) {
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
    assertThat(KeysFile.load(meterKeys)).isEqualTo(original);

    // the keys at rest are encrypted: neither new key is in the database files, in hex or raw
    assertThat(databaseContains(transferred.encryptionKey())).isFalse();
    assertThat(databaseContains(transferred.authenticationKey())).isFalse();

    // 2. without the master key the head-end refuses to start, saying what is missing
    ChildProcess refused = HeadendProcessMain.spawn(dir, config, "headend-nokey",
        Map.of(MasterKey.ENV, "", MasterKey.ENV_FILE, ""));
    running.add(refused);
    Conditions.await("the head-end without master key exits", Duration.ofSeconds(60), () -> !refused.alive());
    assertThat(Files.readString(dir.resolve("headend-nokey.log"))).contains(MasterKey.ENV)
        .contains("encrypted under a master key");

    // 3. with it, the meter is read with the old keys, and a new rotation finishes although the first connection
    // of each step is dropped: each step is done again on a new association (polling.retries 1)
    ChildProcess restarted = startHeadend(config, "headend-2", Map.of(MasterKey.ENV, MASTER));
    Http http2 = new Http(HeadendProcessMain.baseUri(restarted));
    assertThat(read(http2).status()).isEqualTo(200);
    int refusedBefore = gate.refused();
    gate.script(false, true, false);
    Http.Response rotated = http2.post("/api/meters/m1/keys/rotate", OPERATOR, null);
    assertThat(rotated.status()).as(rotated.body()).isEqualTo(200);
    assertThat(gate.refused() - refusedBefore).as("connections dropped during the rotation").isEqualTo(2);
    String newKeyId = rotated.json().get("newKeyId").asText();
    assertThat(rotated.json().get("oldKeyId").asText()).isEqualTo(original.keyId());
    assertThat(newKeyId).isNotEqualTo(original.keyId()).isNotEqualTo(transferred.keyId());
    KeysFile now = KeysFile.load(meterKeys);
    assertThat(now.keyId()).as("the meter's keys file holds the new keys").isEqualTo(newKeyId);
    assertThat(pendingFile).doesNotExist();
    JsonNode after = http2.get("/api/meters/m1/keys", VIEWER).json();
    assertThat(after.get("source").asText()).isEqualTo("rotated");
    assertThat(after.get("keyId").asText()).isEqualTo(newKeyId);
    assertThat(after.get("pending").isNull()).isTrue();

    // the old keys and the unconfirmed transferred ones are refused by the meter, the new ones work
    assertThatThrownBy(() -> MeterClient.open(meter.url(), ClientSecurity.management(original)).close())
        .isInstanceOf(MeterException.class).hasMessageContaining("refused");
    assertThatThrownBy(() -> MeterClient.open(meter.url(), ClientSecurity.management(transferred)).close())
        .isInstanceOf(MeterException.class);
    assertThat(read(http2).status()).as("the head-end reads with the new keys").isEqualTo(200);
    assertThat(databaseContains(now.encryptionKey())).isFalse();
    assertThat(http2.get("/api/audit?limit=20", VIEWER).json()).anySatisfy(e -> {
      assertThat(e.get("action").asText()).isEqualTo("keys-rotate");
      assertThat(e.get("result").asText()).isEqualTo("ok");
    });

    // 4. a restarted meter keeps the new keys
    meter.close();
    RealMeters.Meter again = RealMeters.start(dir.resolve("meter"), "m1", meterKeys, 60, 11);
    running.add(again);
    assertThatThrownBy(() -> MeterClient.open(again.url(), ClientSecurity.management(original)).close())
        .isInstanceOf(MeterException.class);
    try (MeterClient c = MeterClient.open(again.url(), ClientSecurity.management(now))) {
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
  }

  @Test
  void aRotationTheMeterConfirmedButTheHeadendNeverRecordedIsFinishedByTheNextAssociation() throws Exception {
    Path meterKeys = RealMeters.keys(dir.resolve("meter"), "m3");
    KeysFile original = KeysFile.load(meterKeys);
    RealMeters.Meter meter = RealMeters.start(dir.resolve("meter"), "m3", meterKeys, 60, 12);
    running.add(meter);
    Files.createDirectories(dir.resolve("keys"));
    Files.copy(meterKeys, dir.resolve("keys/m3.keys"));
    MeterSpec spec = new MeterSpec("m3", meter.url(), dir.resolve("keys/m3.keys").toString(), null, false, 0, false);
    KeysFile next = original.nextKeys();
    try (Database db = Database.open(dir.resolve("db/recovery").toString(), null, null)) {
      MeterKeyStore store = MeterKeyStore.open(db, java.util.Optional.of(MasterKey.ofHex(MASTER)));
      DlmsMeterConnector connector = new DlmsMeterConnector();
      connector.keyStore(store);
      // the head-end stored the new keys and transferred them, the meter confirmed them, the head-end died
      store.putPending("m3", next);
      try (MeterClient c = MeterClient.open(meter.url(), ClientSecurity.management(original))) {
        c.transferKeys(next);
      }
      MeterClient.open(meter.url(), ClientSecurity.management(next)).close();

      DlmsMeterConnector.KeyedClient association = connector.associate(spec, Duration.ofSeconds(5));
      association.client().close();
      assertThat(association.keys()).isEqualTo(next);
      assertThat(store.find("m3").orElseThrow().current()).as("recorded as current").isEqualTo(next);
      assertThat(store.find("m3").orElseThrow().pending()).isNull();
      assertThat(connector.currentKeys(spec)).isEqualTo(next);

      // a wrong master key is refused instead of losing the keys
      assertThatThrownBy(() -> MeterKeyStore.open(db, java.util.Optional.of(MasterKey.random())))
          .isInstanceOf(MasterKey.WrongMasterKeyException.class);
    }
  }

  private Path config(String url) throws IOException {
    return new HeadendProcessConfig().polling(1, 3000).token("olga", "operator", OPERATOR)
        .token("vera", "viewer", VIEWER).meter("m1", url).meter("m2", "tcp://127.0.0.1:9").writeTo(dir);
  }

  private ChildProcess startHeadend(Path config, String name, Map<String, String> env) throws Exception {
    ChildProcess p = HeadendProcessMain.start(dir, config, name, env);
    running.add(p);
    return p;
  }

  private static Http.Response read(Http http) {
    return http.post("/api/meters/m1/read", VIEWER, null);
  }

  /** Whether any file of the head-end's database holds {@code key} raw or in hex (either case). */
  private boolean databaseContains(byte[] key) throws IOException {
    String hex = HexFormat.of().formatHex(key);
    try (Stream<Path> files = Files.walk(dir.resolve("db"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        byte[] bytes = Files.readAllBytes(f);
        String text = new String(bytes, StandardCharsets.ISO_8859_1);
        if (text.toLowerCase(java.util.Locale.ROOT).contains(hex)
            || text.contains(new String(key, StandardCharsets.ISO_8859_1))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A TCP forwarder in front of the meter that can let only the next N connections through and close every later
   * one at once: the way to drop a rotation's confirmation (its own, second association) on the network.
   */
  static final class ConnectionGate implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress meter;
    private final AtomicInteger allowed = new AtomicInteger(Integer.MAX_VALUE);
    private final List<Socket> sockets = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Queue<Boolean> script = new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final AtomicInteger refused = new AtomicInteger();

    ConnectionGate(String meterUrl) throws IOException {
      String hostPort = meterUrl.replaceFirst("^tcp://", "");
      int colon = hostPort.lastIndexOf(':');
      meter = new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
      server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      Thread t = new Thread(this::accept, "gate");
      t.setDaemon(true);
      t.start();
    }

    String url() {
      return "tcp://127.0.0.1:" + server.getLocalPort();
    }

    void allowOnly(int n) {
      allowed.set(n);
    }

    void allowAll() {
      allowed.set(Integer.MAX_VALUE);
    }

    /** The next connections pass (true) or are closed at once (false) in this order; after them all pass. */
    void script(Boolean... verdicts) {
      script.addAll(List.of(verdicts));
    }

    /** Connections closed at once so far. */
    int refused() {
      return refused.get();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket in = server.accept();
          sockets.add(in);
          Boolean verdict = script.poll();
          if (Boolean.FALSE.equals(verdict)
              || allowed.getAndUpdate(n -> n == Integer.MAX_VALUE ? n : Math.max(0, n - 1)) <= 0) {
            refused.incrementAndGet();
            in.close();
            continue;
          }
          Socket out = new Socket();
          out.connect(meter, 5000);
          sockets.add(out);
          pump(in, out);
          pump(out, in);
        } catch (IOException e) {
          // closed
        }
      }
    }

    private void pump(Socket from, Socket to) {
      Thread t = new Thread(() -> {
        try (InputStream i = from.getInputStream(); OutputStream o = to.getOutputStream()) {
          i.transferTo(o);
        } catch (IOException e) {
          // either side closed
        } finally {
          try {
            from.close();
            to.close();
          } catch (IOException ignored) {
            // closing
          }
        }
      }, "gate-pump");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
