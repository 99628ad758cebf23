package org.s3mp.headend.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.headend.storage.Database;

/** The encrypted key store on H2: what is stored, and when the head-end must refuse to use it. */
class MeterKeyStoreTest {
  @TempDir Path dir;
  final KeysFile keys = KeysFile.generate(new byte[8], new byte[] {1, 2, 3, 4, 5, 6, 7, 8});

  @Test
  void pendingKeysBecomeCurrentOnlyWhenConfirmed() {
    try (Database db = Database.open(dir.resolve("db").toString(), null, null)) {
      MeterKeyStore store = MeterKeyStore.open(db, Optional.of(MasterKey.random()));
      KeysFile next = keys.nextKeys();
      store.putPending("m1", next);
      MeterKeyStore.Stored s = store.find("m1").orElseThrow();
      assertThat(s.current()).as("still the keys file").isNull();
      assertThat(s.pending()).isEqualTo(next);
      long generation = store.generation();

      store.confirm("m1", keys.nextKeys()); // not the pending keys: nothing changes
      assertThat(store.find("m1").orElseThrow().pending()).isEqualTo(next);

      store.confirm("m1", next);
      s = store.find("m1").orElseThrow();
      assertThat(s.current()).isEqualTo(next);
      assertThat(s.currentId()).isEqualTo(next.keyId());
      assertThat(s.currentSince()).isNotNull();
      assertThat(s.pending()).isNull();
      assertThat(store.generation()).isNotEqualTo(generation);

      store.remove("m1");
      assertThat(store.find("m1")).isEmpty();
    }
  }

  @Test
  void onlyCiphertextIsStoredAndAValueCannotBeMovedToAnotherMeter() throws Exception {
    try (Database db = Database.open(dir.resolve("db").toString(), null, null)) {
      MeterKeyStore store = MeterKeyStore.open(db, Optional.of(MasterKey.random()));
      store.putPending("m1", keys);
      String stored;
      try (Connection c = db.connection();
          PreparedStatement ps = c.prepareStatement("SELECT pending_keys FROM meter_keys WHERE meter_id = 'm1'");
          ResultSet rs = ps.executeQuery()) {
        rs.next();
        stored = rs.getString(1);
      }
      assertThat(stored.toLowerCase()).doesNotContain(HexFormat.of().formatHex(keys.encryptionKey()))
          .doesNotContain(HexFormat.of().formatHex(keys.authenticationKey()));
      try (Connection c = db.writeConnection();
          PreparedStatement ps = c.prepareStatement(
              "INSERT INTO meter_keys (meter_id, pending_keys, pending_id) VALUES ('m2', ?, 'x')")) {
        ps.setString(1, stored);
        ps.executeUpdate();
      }
      assertThatThrownBy(() -> store.find("m2")).isInstanceOf(MasterKey.WrongMasterKeyException.class);
    }
  }

  @Test
  void encryptedKeysNeedTheirMasterKey() {
    MasterKey master = MasterKey.random();
    try (Database db = Database.open(dir.resolve("db").toString(), null, null)) {
      MeterKeyStore.open(db, Optional.of(master)).putPending("m1", keys);
      assertThatThrownBy(() -> MeterKeyStore.open(db, Optional.empty()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(MasterKey.ENV)
          .hasMessageContaining("1 meter(s)");
      assertThatThrownBy(() -> MeterKeyStore.open(db, Optional.of(MasterKey.random())))
          .isInstanceOf(MasterKey.WrongMasterKeyException.class);
      assertThat(MeterKeyStore.open(db, Optional.of(master)).find("m1").orElseThrow().pending()).isEqualTo(keys);
    }
  }

  @Test
  void withoutAMasterKeyNothingIsStored() {
    try (Database db = Database.open(dir.resolve("db").toString(), null, null)) {
      MeterKeyStore store = MeterKeyStore.open(db, Optional.empty());
      assertThat(store.hasMasterKey()).isFalse();
      assertThatThrownBy(() -> store.putPending("m1", keys)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining(MasterKey.ENV);
    }
  }

  @Test
  void masterKeysFromTheEnvironment() throws Exception {
    String hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    assertThat(MasterKey.fromEnvironment(Map.of())).isEmpty();
    assertThat(MasterKey.fromEnvironment(Map.of(MasterKey.ENV, hex))).isPresent();
    Path file = dir.resolve("master.key");
    java.nio.file.Files.writeString(file, hex + "\n");
    assertThat(MasterKey.fromEnvironment(Map.of(MasterKey.ENV_FILE, file.toString()))).isPresent();
    assertThatThrownBy(() -> MasterKey.fromEnvironment(Map.of(MasterKey.ENV, "abcd")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("64 hex digits");
    assertThatThrownBy(() -> MasterKey.fromEnvironment(Map.of(MasterKey.ENV, "zz")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("zz");
    byte[] aad = {1};
    MasterKey k = MasterKey.ofHex(hex);
    assertThat(k.open(k.seal(new byte[] {42}, aad), aad)).containsExactly(42);
    assertThatThrownBy(() -> k.open(k.seal(new byte[] {42}, aad), new byte[] {2}))
        .isInstanceOf(MasterKey.WrongMasterKeyException.class);
  }
}
