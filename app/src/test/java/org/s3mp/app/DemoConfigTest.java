package org.s3mp.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.scion.policy.PathPolicy;

/** The head-end config {@code s3mp demo} writes reads back as written, wherever the demo's folder is. */
class DemoConfigTest {
  @Test
  void aFolderWithQuotesSpacesAndABackslashIsWrittenEscaped(@TempDir Path tmp) throws Exception {
    Path work = Files.createDirectories(tmp.resolve("demo \"quoted\" it's a\\b: #1"));
    String url = "scion://1-ff00:0:111,[127.0.111.1]:4059";

    Path file = DemoCommand.writeHeadendConfig(work, "127.0.0.1:8080", "127.0.112.1:30255", "ab".repeat(32), url);

    HeadendConfig config = HeadendConfig.load(file);
    assertThat(config.http().bind()).isEqualTo("127.0.0.1:8080");
    assertThat(config.scion().daemon()).isEqualTo("127.0.112.1:30255");
    assertThat(config.database().url()).isEqualTo(work.resolve("headend").resolve("db").toString());
    assertThat(config.tokens()).singleElement().satisfies(t -> {
      assertThat(t.name()).isEqualTo("demo-operator");
      assertThat(t.role()).isEqualTo("operator");
      assertThat(t.sha256()).isEqualTo("ab".repeat(32));
    });
    assertThat(config.meters()).singleElement().satisfies(m -> {
      assertThat(m.url()).isEqualTo(url);
      assertThat(m.drkey()).isTrue();
      assertThat(m.pollSeconds()).isEqualTo(10);
      assertThat(m.profile()).isTrue();
      assertThat(m.policy()).isEqualTo(work.resolve("isd1-only.json").toString());
    });
    PathPolicy policy = PathPolicy.load(Path.of(config.meters().get(0).policy()));
    assertThat(policy.name()).isEqualTo("isd1-only");
    assertThat(policy.allowedIsds()).containsExactly(1);
  }
}
