package org.s3mp.testbed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The file formats the scionproto processes read (TOML service configs, YAML for testcrypto and hidden paths,
 * JSON topologies and policies), written by Jackson so that paths and names are quoted and escaped correctly.
 * Configs are built as ordered maps: a nested map is a TOML table.
 */
final class ConfigFiles {
  static final TomlMapper TOML = new TomlMapper();
  static final YAMLMapper YAML = YAMLMapper.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).build();
  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private ConfigFiles() {}

  /** An ordered table from alternating keys and values; null values are left out. */
  static Map<String, Object> table(Object... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values must alternate");
    }
    Map<String, Object> t = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      if (keysAndValues[i + 1] != null) {
        t.put((String) keysAndValues[i], keysAndValues[i + 1] instanceof Path p ? p.toString() : keysAndValues[i + 1]);
      }
    }
    return t;
  }

  static Path writeToml(Path file, Map<String, Object> config) throws IOException {
    TOML.writeValue(file.toFile(), config);
    return file;
  }

  static Path writeYaml(Path file, Object config) throws IOException {
    YAML.writeValue(file.toFile(), config);
    return file;
  }

  static Path writeJson(Path file, Object config) throws IOException {
    JSON.writeValue(file.toFile(), config);
    return file;
  }
}
