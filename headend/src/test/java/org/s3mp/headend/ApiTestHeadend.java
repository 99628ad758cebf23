package org.s3mp.headend;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;

/**
 * The head-end of an API test: started once per test class in this JVM over {@link FakeMeters}, closed after the
 * class. Register as {@code @RegisterExtension static final ApiTestHeadend api = new ApiTestHeadend();} and
 * {@link #start} it in a {@code @BeforeAll}.
 */
final class ApiTestHeadend implements AfterAllCallback {
  final FakeMeters meters = new FakeMeters();
  private Headend headend;
  private Http http;

  /** The database of a test's head-end, in its folder (tests that prepare it open it first). */
  static String database(Path dir) {
    return dir.resolve("db/headend").toString();
  }

  /** A config token: {@code secret} is what the test sends, the config holds its SHA-256. */
  static HeadendConfig.Token token(String name, Role role, String secret) {
    return new HeadendConfig.Token(name, role.name().toLowerCase(Locale.ROOT), TokenStore.sha256(secret));
  }

  /** A config with its database in {@code dir}, keys files below {@code keysDirectory}, defaults for the rest. */
  static HeadendConfig config(Path dir, HeadendConfig.Http http, List<HeadendConfig.Token> tokens,
      List<MeterInput> meters, Path keysDirectory, Integer tokenLifetimeHours) {
    return new HeadendConfig(http, new HeadendConfig.Database(database(dir), null, null), null, tokens, meters, null,
        keysDirectory.toString(), tokenLifetimeHours).withDefaults();
  }

  /** HTTP on any free loopback port. */
  static HeadendConfig.Http anyPort() {
    return new HeadendConfig.Http("127.0.0.1:0", null);
  }

  Headend start(HeadendConfig config) {
    headend = Headend.start(config, meters);
    http = new Http(headend.baseUri());
    return headend;
  }

  Http http() {
    return http;
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (headend != null) {
      headend.close();
    }
  }
}
