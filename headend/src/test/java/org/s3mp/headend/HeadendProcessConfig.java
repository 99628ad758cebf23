package org.s3mp.headend;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.fleet.MeterInput;

/**
 * The config file of a head-end that a test starts as a child process ({@link HeadendProcessMain}): any free
 * port, meters' keys in DIR/keys, an H2 database in DIR/db, clock checks out of the way; what differs (polling,
 * tokens, meters, push listener) is added. Written through Jackson from the {@link HeadendConfig} records.
 */
final class HeadendProcessConfig {

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
      .setSerializationInclusion(JsonInclude.Include.NON_NULL);

  private HeadendConfig.Polling polling;
  private final List<HeadendConfig.Token> tokens = new ArrayList<>();
  private final List<MeterInput> meters = new ArrayList<>();
  private HeadendConfig.Push push;

  /** How the head-end talks to meters: {@code retries} null for the default. */
  HeadendProcessConfig polling(Integer retries, int timeoutMillis) {
    polling = new HeadendConfig.Polling(retries, timeoutMillis, null, null);
    return this;
  }

  /** A token of {@code role} whose secret is {@code secret} (the file holds its SHA-256). */
  HeadendProcessConfig token(String name, String role, String secret) {
    tokens.add(new HeadendConfig.Token(name, role, TokenStore.sha256(secret)));
    return this;
  }

  /** A meter at {@code url} with the keys file ID.keys, not polled (read on request only). */
  HeadendProcessConfig meter(String id, String url) {
    meters.add(new MeterInput(id, url, id + ".keys", null, null, 0, null));
    return this;
  }

  /** A push listener on any free port. */
  HeadendProcessConfig pushListener() {
    push = new HeadendConfig.Push("tcp://127.0.0.1:0", null);
    return this;
  }

  HeadendConfig config() {
    return new HeadendConfig(new HeadendConfig.Http("127.0.0.1:0", null), new HeadendConfig.Database("db/headend",
        null, null), polling, tokens.isEmpty() ? null : List.copyOf(tokens), meters.isEmpty() ? null
        : List.copyOf(meters), null, "keys", null, push, new HeadendConfig.Clock(86400, null, null));
  }

  /** Writes DIR/headend.yaml; returns its path. */
  Path writeTo(Path dir) throws IOException {
    Path file = dir.resolve("headend.yaml");
    YAML.writeValue(file.toFile(), config());
    return file;
  }
}
