package org.s3mp.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code s3mp firmware rollout ...}: firmware rollouts to groups of meters, through the head-end's API. */
@Command(
    name = "rollout",
    mixinStandardHelpOptions = true,
    description = "Firmware rollouts through the head-end's API: upload a signed image, roll it out to a group of"
        + " meters, follow, pause, resume or cancel it.",
    subcommands = {FirmwareRolloutCommand.Upload.class, FirmwareRolloutCommand.Start.class,
        FirmwareRolloutCommand.Status.class, FirmwareRolloutCommand.ListRollouts.class,
        FirmwareRolloutCommand.Pause.class, FirmwareRolloutCommand.Resume.class, FirmwareRolloutCommand.Cancel.class})
final class FirmwareRolloutCommand {
  /** Made on first use: picocli creates this command object for every command, ./s3mp meter too. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  static JsonNode upload(HeadendApi api, Path file) throws IOException, InterruptedException {
    byte[] image;
    try {
      image = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new S3mp.UsageError("--image: cannot read " + file + " (" + e.getMessage() + ")");
    }
    ObjectNode body = Json.MAPPER.createObjectNode().put("image", Base64.getEncoder().encodeToString(image));
    return api.call("POST", "/api/firmware/images", body.toString());
  }

  @Command(name = "upload", mixinStandardHelpOptions = true,
      description = "Upload a signed image (firmware sign); the head-end checks it against its vendor keys"
          + " (KEYS_DIRECTORY/firmware-vendors/*.pub) and prints its image id.",
      footer = {"", "Example: ./s3mp firmware rollout upload --image fw.img --token $TOKEN"})
  static final class Upload implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin HeadendApi api;

    @Option(names = "--image", paramLabel = "FILE", required = true, description = "The signed image.")
    Path image;

    @Override
    public Integer call() throws Exception {
      JsonNode i = upload(api, image);
      spec.commandLine().getOut().println("image " + i.get("id").asText() + ": firmware "
          + i.get("firmwareId").asText() + ", " + i.get("sizeBytes").asLong() + " bytes, signed by "
          + i.get("signer").asText());
      return 0;
    }
  }

  @Command(name = "start", mixinStandardHelpOptions = true,
      description = {"Roll an image out to a group of meters: --meters ID,... or every meter whose id contains"
          + " --filter TEXT (and --transport); at most --concurrency transfers at once; activation at once or at"
          + " --activate-at. Prints the rollout id; --wait follows it until it ends (exit code 1 when a meter"
          + " failed)."},
      footer = {"", "Example: ./s3mp firmware rollout start --image fw.img --filter house- --concurrency 10 --wait"})
  static final class Start implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin HeadendApi api;

    @Option(names = "--image", paramLabel = "FILE", description = "Upload this image first.")
    Path image;

    @Option(names = "--image-id", paramLabel = "ID", description = "An image uploaded before.")
    String imageId;

    @Option(names = "--meters", paramLabel = "ID", split = ",", description = "The meters, in this order.")
    List<String> meters;

    @Option(names = "--filter", paramLabel = "TEXT", description = "Every meter whose id contains TEXT ('' all).")
    String filter;

    @Option(names = "--transport", paramLabel = "NAME", description = "With --filter: only meters on tcp, scion...")
    String transport;

    @Option(names = "--concurrency", paramLabel = "N", defaultValue = "5",
        description = "Transfers at once (default ${DEFAULT-VALUE}).")
    int concurrency;

    @Option(names = "--activate-at", paramLabel = "TIME", description = "Activation time (ISO-8601 instant or"
        + " +SECONDS); default: each meter at once.")
    String activateAt;

    @Option(names = "--wait", description = "Follow the rollout until it ends, printing each meter's progress.")
    boolean await;

    @Override
    public Integer call() throws Exception {
      if ((image == null) == (imageId == null)) {
        throw new S3mp.UsageError("give --image FILE or --image-id ID");
      }
      if ((meters == null) == (filter == null && transport == null)) {
        throw new S3mp.UsageError("give --meters ID,... or --filter TEXT (and/or --transport)");
      }
      PrintWriter out = spec.commandLine().getOut();
      String id = imageId != null ? imageId : upload(api, image).get("id").asText();
      ObjectNode body = Json.MAPPER.createObjectNode().put("imageId", id).put("concurrency", concurrency);
      if (meters != null) {
        meters.forEach(body.putArray("meters")::add);
      } else {
        ObjectNode f = body.putObject("filter").put("q", filter == null ? "" : filter);
        if (transport != null) {
          f.put("transport", transport);
        }
      }
      if (activateAt != null) {
        body.put("activateAt", activationTime(activateAt));
      }
      long started = System.nanoTime();
      JsonNode r = api.call("POST", "/api/firmware/rollouts", body.toString());
      out.println("rollout " + r.get("id").asLong() + ": " + r.get("firmwareId").asText() + " to "
          + r.get("meterCount").asInt() + " meters, " + r.get("concurrency").asInt() + " at once");
      out.flush();
      return await ? follow(api, r.get("id").asLong(), out, started) : 0;
    }
  }

  private static String activationTime(String text) {
    try {
      if (text.startsWith("+")) {
        return java.time.Instant.now().plusSeconds(Long.parseLong(text.substring(1))).toString();
      }
      return java.time.Instant.parse(text).toString();
    } catch (RuntimeException e) {
      throw new S3mp.UsageError("--activate-at: an ISO-8601 instant (2026-12-05T02:00:00Z) or +SECONDS, got "
          + text);
    }
  }

  /** Prints each meter's state when it changes, until the rollout is done or cancelled. */
  static int follow(HeadendApi api, long id, PrintWriter out, long startedNanos) throws Exception {
    java.util.Map<String, String> shown = new java.util.HashMap<>();
    while (true) {
      JsonNode r = api.call("GET", "/api/firmware/rollouts/" + id, null);
      for (JsonNode m : r.get("meters")) {
        String line = m.get("state").asText() + (m.get("state").asText().equals("transferring")
            ? " " + (m.get("bytesDone").asLong() * 100 / Math.max(1, m.get("bytesTotal").asLong())) / 25 * 25 + "%"
            : "");
        if (!line.equals(shown.put(m.get("meterId").asText(), line))) {
          out.println("  " + m.get("meterId").asText() + ": " + line
              + (m.hasNonNull("firmwareId") && m.get("state").asText().equals("active")
                  ? " (" + m.get("firmwareId").asText() + ")" : "")
              + (m.hasNonNull("reason") ? " - " + m.get("reason").asText() : ""));
          out.flush();
        }
      }
      String state = r.get("state").asText();
      if (state.equals("done") || state.equals("cancelled")) {
        out.println("rollout " + id + " " + state + " after " + (System.nanoTime() - startedNanos) / 1_000_000
            + " ms: " + r.get("counts"));
        out.flush();
        return r.get("counts").get("active").asInt() == r.get("meterCount").asInt() ? 0 : 1;
      }
      Thread.sleep(500); // polling the API for a human's progress display, not test synchronisation
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "A rollout and each meter's progress.")
  static final class Status implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin HeadendApi api;

    @Parameters(index = "0", paramLabel = "ID", description = "The rollout id.")
    long id;

    @Option(names = "--wait", description = "Follow it until it ends.")
    boolean await;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      if (await) {
        return follow(api, id, out, System.nanoTime());
      }
      JsonNode r = api.call("GET", "/api/firmware/rollouts/" + id, null);
      out.println("rollout " + id + " " + r.get("state").asText() + ": " + r.get("firmwareId").asText() + ", "
          + r.get("concurrency").asInt() + " at once, " + r.get("counts"));
      for (JsonNode m : r.get("meters")) {
        out.println("  " + m.get("meterId").asText() + ": " + m.get("state").asText() + " "
            + m.get("bytesDone").asLong() + "/" + m.get("bytesTotal").asLong() + " bytes"
            + (m.hasNonNull("firmwareId") ? ", firmware " + m.get("firmwareId").asText() : "")
            + (m.hasNonNull("reason") ? " - " + m.get("reason").asText() : ""));
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Every rollout, newest first.")
  static final class ListRollouts implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin HeadendApi api;

    @Override
    public Integer call() throws Exception {
      PrintWriter out = spec.commandLine().getOut();
      for (JsonNode r : api.call("GET", "/api/firmware/rollouts", null)) {
        out.println("rollout " + r.get("id").asLong() + " " + r.get("state").asText() + ": "
            + r.get("firmwareId").asText() + " to " + r.get("meterCount").asInt() + " meters " + r.get("counts"));
      }
      return 0;
    }
  }

  abstract static class Transition implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin HeadendApi api;

    @Parameters(index = "0", paramLabel = "ID", description = "The rollout id.")
    long id;

    abstract String action();

    @Override
    public Integer call() throws Exception {
      JsonNode r = api.call("POST", "/api/firmware/rollouts/" + id + "/" + action(), null);
      spec.commandLine().getOut().println("rollout " + id + " " + r.get("state").asText() + ": " + r.get("counts"));
      return 0;
    }
  }

  @Command(name = "pause", mixinStandardHelpOptions = true,
      description = "Pause a rollout: no further meter starts; transfers in progress finish.")
  static final class Pause extends Transition {
    @Override
    String action() {
      return "pause";
    }
  }

  @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused rollout.")
  static final class Resume extends Transition {
    @Override
    String action() {
      return "resume";
    }
  }

  @Command(name = "cancel", mixinStandardHelpOptions = true,
      description = "Cancel a rollout: meters not started are cancelled, transfers in progress stop.")
  static final class Cancel extends Transition {
    @Override
    String action() {
      return "cancel";
    }
  }
}
