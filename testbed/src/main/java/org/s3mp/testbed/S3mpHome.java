package org.s3mp.testbed;

import java.nio.file.Path;

/** The S3MP checkout the tools run from (the launcher and the build set it); caches and run state live there. */
public final class S3mpHome {
  private S3mpHome() {}

  public static Path dir() {
    String prop = System.getProperty("s3mp.home");
    if (prop != null && !prop.isBlank()) {
      return Path.of(prop).toAbsolutePath();
    }
    String env = System.getenv("S3MP_HOME");
    if (env != null && !env.isBlank()) {
      return Path.of(env).toAbsolutePath();
    }
    return Path.of("").toAbsolutePath();
  }
}
