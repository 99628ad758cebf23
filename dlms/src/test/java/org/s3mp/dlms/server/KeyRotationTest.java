package org.s3mp.dlms.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.dlms.client.ClientSecurity;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.client.MeterException;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.Transports;

/** Key transfer and confirmation (RotatingKeys behind the COSEM server) over loopback TCP, with restarts. */
class KeyRotationTest {
  @TempDir Path dir;
  Path keysPath;
  Path pendingPath;
  KeysFile keys;
  ServerEndpoint endpoint;
  MeterUrl url;

  @BeforeEach
  void start() throws Exception {
    keys = KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 1}, new byte[] {'S', '3', 'M', 'P', 0, 0, 1, 1});
    keysPath = dir.resolve("meter.keys");
    pendingPath = dir.resolve("data/keys.pending");
    keys.save(keysPath);
    serve();
  }

  /** (Re)starts the meter's server from the files, as a restarted meter agent does. */
  void serve() throws Exception {
    if (endpoint != null) {
      endpoint.close();
    }
    CosemServer server = new CosemServer(new InMemoryBackend(), RotatingKeys.open(keysPath, pendingPath),
        new FileCounterStore(dir.resolve("counters")));
    MeterUrl any = MeterUrl.parse("tcp://127.0.0.1:0"); // a new port: the old one may linger in TIME_WAIT
    endpoint = Transports.forUrl(any).listen(any, server);
    url = endpoint.localUrl();
  }

  @AfterEach
  void stop() {
    endpoint.close();
  }

  MeterClient open(KeysFile k) throws Exception {
    return MeterClient.open(url, ClientSecurity.management(k), Duration.ofSeconds(5));
  }

  @Test
  void transferredKeysAreAcceptedWithTheOldUntilAnAssociationWithThemRetiresTheOld() throws Exception {
    KeysFile next = keys.nextKeys();
    try (MeterClient c = open(keys)) {
      c.transferKeys(next);
      assertThat(c.readSerialNumber()).as("the association goes on with the current keys").isNotEmpty();
    }
    assertThat(KeysFile.load(pendingPath)).isEqualTo(next);
    assertThat(KeysFile.load(keysPath)).as("not switched before a confirmation").isEqualTo(keys);

    // the head-end died before confirming: after a restart the meter still answers the old keys
    serve();
    try (MeterClient c = open(keys)) {
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
    assertThat(Files.exists(pendingPath)).as("an association with the old keys confirms nothing").isTrue();

    try (MeterClient c = open(next)) {
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
    assertThat(KeysFile.load(keysPath)).as("the new keys replaced the old in the keys file").isEqualTo(next);
    assertThat(Files.exists(pendingPath)).isFalse();
    assertThatThrownBy(() -> open(keys)).isInstanceOf(MeterException.class).hasMessageContaining("refused");

    serve();
    assertThatThrownBy(() -> open(keys)).as("old keys stay refused after a restart")
        .isInstanceOf(MeterException.class);
    try (MeterClient c = open(next)) {
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
  }

  @Test
  void anAssociationOpenWithTheOldKeysEndsOnceTheNewAreConfirmed() throws Exception {
    KeysFile next = keys.nextKeys();
    // a short timeout: the meter does not answer the old association's request (the client times out)
    try (MeterClient old = MeterClient.open(url, ClientSecurity.management(keys), Duration.ofSeconds(1))) {
      old.transferKeys(next);
      try (MeterClient fresh = open(next)) {
        assertThat(fresh.readSerialNumber()).isNotEmpty();
      }
      assertThatThrownBy(old::readSerialNumber).isInstanceOf(java.io.IOException.class);
    }
  }

  @Test
  void aSecondTransferBeforeAConfirmationReplacesTheFirst() throws Exception {
    KeysFile first = keys.nextKeys();
    KeysFile second = keys.nextKeys();
    try (MeterClient c = open(keys)) {
      c.transferKeys(first);
      c.transferKeys(second);
    }
    assertThatThrownBy(() -> open(first)).isInstanceOf(MeterException.class);
    try (MeterClient c = open(second)) {
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
    assertThat(KeysFile.load(keysPath)).isEqualTo(second);
  }

  @Test
  void keysWrappedWithAnotherKekAreRefusedAndNothingIsStored() throws Exception {
    // the client believes in another KEK: its wrap fails the meter's integrity check
    KeysFile wrongKek = new KeysFile(keys.authenticationKey(), keys.encryptionKey(), keys.clientSystemTitle(),
        keys.serverSystemTitle(), new byte[16]);
    try (MeterClient c = open(wrongKek)) {
      assertThatThrownBy(() -> c.transferKeys(wrongKek.nextKeys())).isInstanceOf(MeterException.class)
          .hasMessageContaining("key transfer refused");
      assertThat(c.readSerialNumber()).as("the association survives the refusal").isNotEmpty();
    }
    assertThat(Files.exists(pendingPath)).isFalse();
    assertThat(KeysFile.load(keysPath)).isEqualTo(keys);
  }

  @Test
  void keysWithoutAKekCannotBeRotated() throws Exception {
    KeysFile plain = new KeysFile(keys.authenticationKey(), keys.encryptionKey(), keys.clientSystemTitle(),
        keys.serverSystemTitle());
    plain.save(keysPath);
    serve();
    try (MeterClient c = open(plain)) {
      assertThatThrownBy(() -> c.transferKeys(plain.nextKeys())).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("key-encryption-key");
    }
    // a client that sends a transfer anyway (it has a KEK the meter does not know) is refused by the meter
    try (MeterClient c = open(keys)) {
      assertThatThrownBy(() -> c.transferKeys(keys.nextKeys())).isInstanceOf(MeterException.class)
          .hasMessageContaining("READ_WRITE_DENIED");
    }
    assertThat(Files.exists(pendingPath)).isFalse();
  }

  @Test
  void aStaticKeysServerRefusesKeyTransfer() throws Exception {
    endpoint.close();
    CosemServer server = new CosemServer(new InMemoryBackend(), keys, new FileCounterStore(dir.resolve("c2")));
    endpoint = Transports.forUrl(url).listen(MeterUrl.parse("tcp://127.0.0.1:0"), server);
    url = endpoint.localUrl();
    try (MeterClient c = open(keys)) {
      assertThatThrownBy(() -> c.transferKeys(keys.nextKeys())).isInstanceOf(MeterException.class);
      assertThat(c.readSerialNumber()).isNotEmpty();
    }
  }
}
