package org.s3mp.headend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.tls in the config: the API is served over HTTPS with the configured certificate, and only so. */
class TlsTest {

  @TempDir Path dir;

  @Test
  void servesHttpsWithTheConfiguredKeyStore() throws Exception {
    Path keystore = dir.resolve("headend.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "headend", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
        "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", "changeit", "-keypass", "changeit").redirectErrorStream(true).start();
    String out = new String(keytool.getInputStream().readAllBytes());
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(out).isZero();

    HeadendConfig config = new HeadendConfig(
        new HeadendConfig.Http("127.0.0.1:0", new HeadendConfig.Tls(keystore.toString(), "changeit")),
        new HeadendConfig.Database(dir.resolve("db/headend").toString(), null, null), null, List.of(), List.of())
        .withDefaults();
    try (Headend headend = Headend.start(config, new FakeMeters())) {
      assertThat(headend.baseUri().getScheme()).isEqualTo("https");
      KeyStore trust = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(keystore)) {
        trust.load(in, "changeit".toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      HttpClient client = HttpClient.newBuilder().sslContext(ssl).build();
      HttpResponse<String> health = client.send(HttpRequest.newBuilder(headend.baseUri().resolve("/health")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"ok\"");

      URI plain = URI.create("http://127.0.0.1:" + headend.port() + "/health");
      assertThatThrownBy(() -> {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(plain).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          throw new AssertionError("plain HTTP answered on the TLS port");
        }
        throw new java.io.IOException("refused: " + r.statusCode());
      }).isInstanceOf(java.io.IOException.class);
    }
  }
}
