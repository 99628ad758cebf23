package org.s3mp.testbed;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The scionproto/scion binaries the testbed runs. Found in this order: a directory named by
 * {@code S3MP_SCION_BIN}; the project's cache ({@code .cache/scion/v0.15.1/bin}); SCION's own packages on the
 * PATH ({@code scion-router}, ...) when they report this version. Otherwise built once from the Go module
 * proxy's source of that version ({@code go build}; cgo for control and daemon, which use sqlite).
 */
public final class ScionBinaries {
  public static final String VERSION = "v0.15.1";
  static final String MODULE = "github.com/scionproto/scion";

  /** The scionproto programs we use: our name, the packaged name, the Go main package. */
  public enum Tool {
    ROUTER("router", "scion-router", "router/cmd/router"),
    CONTROL("control", "scion-control", "control/cmd/control"),
    DAEMON("daemon", "scion-daemon", "daemon/cmd/daemon"),
    DISPATCHER("dispatcher", "scion-dispatcher", "dispatcher/cmd/dispatcher"),
    SCION("scion", "scion", "scion/cmd/scion"),
    PKI("scion-pki", "scion-pki", "scion-pki/cmd/scion-pki"),
    GATEWAY("gateway", "scion-ip-gateway", "gateway/cmd/gateway");

    final String file;
    final String packaged;
    final String goPackage;

    Tool(String file, String packaged, String goPackage) {
      this.file = file;
      this.packaged = packaged;
      this.goPackage = goPackage;
    }
  }

  private final Map<Tool, Path> paths;
  private final String origin;

  private ScionBinaries(Map<Tool, Path> paths, String origin) {
    this.paths = paths;
    this.origin = origin;
  }

  public Path path(Tool tool) {
    return paths.get(tool);
  }

  /** Where the binaries come from, for status output. */
  public String origin() {
    return origin;
  }

  /** The project's cache of built binaries. */
  public static Path cacheDir() {
    return S3mpHome.dir().resolve(".cache").resolve("scion").resolve(VERSION).resolve("bin");
  }

  /** The binaries if they are already there; nothing is built. */
  public static Optional<ScionBinaries> locate() {
    String env = System.getenv("S3MP_SCION_BIN");
    if (env != null && !env.isBlank()) {
      return inDir(Path.of(env), "S3MP_SCION_BIN=" + env);
    }
    Optional<ScionBinaries> cached = inDir(cacheDir(), cacheDir().toString());
    return cached.isPresent() ? cached : onPath();
  }

  /** The binaries, built first when missing; {@code progress} gets one line per step. */
  public static ScionBinaries ensure(Consumer<String> progress) throws IOException {
    Optional<ScionBinaries> found = locate();
    if (found.isPresent()) {
      return found.get();
    }
    build(cacheDir(), progress);
    return inDir(cacheDir(), cacheDir().toString())
        .orElseThrow(() -> new IOException("the SCION build finished but binaries are missing in " + cacheDir()));
  }

  /** The binaries expected in {@code dir}, unchecked (for config generation in tests). */
  static ScionBinaries at(Path dir) {
    Map<Tool, Path> m = new EnumMap<>(Tool.class);
    for (Tool t : Tool.values()) {
      m.put(t, dir.resolve(t.file));
    }
    return new ScionBinaries(m, dir.toString());
  }

  private static Optional<ScionBinaries> inDir(Path dir, String origin) {
    Map<Tool, Path> m = new EnumMap<>(Tool.class);
    for (Tool t : Tool.values()) {
      Path p = dir.resolve(t.file);
      if (!Files.isExecutable(p)) {
        return Optional.empty();
      }
      m.put(t, p);
    }
    return Optional.of(new ScionBinaries(m, origin));
  }

  private static Optional<ScionBinaries> onPath() {
    Map<Tool, Path> m = new EnumMap<>(Tool.class);
    for (Tool t : Tool.values()) {
      Optional<Path> p = which(t.packaged);
      if (p.isEmpty()) {
        return Optional.empty();
      }
      m.put(t, p.get());
    }
    try {
      String v = Commands.run(List.of(m.get(Tool.SCION).toString(), "version"), null, Duration.ofSeconds(10));
      return v.contains(VERSION) ? Optional.of(new ScionBinaries(m, "PATH (SCION packages " + VERSION + ")")) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static Optional<Path> which(String name) {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String d : path.split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static void build(Path target, Consumer<String> progress) throws IOException {
    Path go = which("go").orElseThrow(() -> new IOException(
        "the SCION binaries are not built yet and Go is not installed: install Go (e.g. apt-get install golang)"
            + " or point S3MP_SCION_BIN at a directory with scionproto " + VERSION + " binaries"));
    progress.accept("building scionproto/scion " + VERSION + " binaries into " + target + " (once; a few minutes)");
    progress.accept("downloading the " + MODULE + "@" + VERSION + " source from the Go module proxy ...");
    String json = Commands.run(List.of(go.toString(), "mod", "download", "-json", MODULE + "@" + VERSION), null,
        Duration.ofMinutes(10));
    String src = new ObjectMapper().readTree(json).path("Dir").asText("");
    if (src.isEmpty()) {
      throw new IOException("go mod download did not report a source directory: " + json);
    }
    Path tmp = Files.createTempDirectory(target.getParent() == null ? Path.of(".") : createParent(target), "build");
    List<String> cmd = new ArrayList<>(List.of(go.toString(), "build", "-trimpath", "-o", tmp + "/"));
    for (Tool t : Tool.values()) {
      cmd.add("./" + t.goPackage);
    }
    progress.accept("compiling router, control, daemon, dispatcher, scion, scion-pki, gateway (go build, cgo) ...");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(Path.of(src).toFile()).redirectErrorStream(true);
    pb.environment().put("CGO_ENABLED", "1");
    pb.environment().put("GOFLAGS", "-mod=readonly");
    Process p = pb.start();
    p.getOutputStream().close();
    List<String> tail = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("go: downloading")) {
          progress.accept("  " + line);
        }
        tail.add(line);
        if (tail.size() > 20) {
          tail.remove(0);
        }
      }
    }
    try {
      if (p.waitFor() != 0) {
        throw new IOException("go build of scionproto failed:\n" + String.join("\n", tail));
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while building scionproto", e);
    }
    for (Tool t : Tool.values()) {
      Files.createDirectories(target);
      Files.move(tmp.resolve(t.file), target.resolve(t.file), StandardCopyOption.REPLACE_EXISTING);
    }
    Files.deleteIfExists(tmp);
    progress.accept("SCION binaries ready in " + target);
  }

  private static Path createParent(Path target) throws IOException {
    return Files.createDirectories(target.getParent());
  }
}
