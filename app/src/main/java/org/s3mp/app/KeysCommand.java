package org.s3mp.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code s3mp keys rotate|show METER}: a meter's static keys through the head-end's API (the head-end holds the
 * keys, encrypted under its master key, and runs the rotation).
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description = "A meter's static DLMS keys, through the head-end's API (it holds them and rotates them).",
    subcommands = {KeysCommand.Rotate.class, KeysCommand.Show.class})
final class KeysCommand {

  /** The head-end and the meter a subcommand is about. */
  static class HeadendOptions extends HeadendApi {
    @Parameters(index = "0", paramLabel = "METER", description = "The meter's id in the head-end.")
    String meter;

    JsonNode call(String method, String path) throws IOException, InterruptedException {
      return call(method, path, null);
    }

    String encoded() {
      return java.net.URLEncoder.encode(meter, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = {"Rotate a meter's static keys: the head-end generates new keys, transfers them (key_transfer,"
          + " wrapped with the meter's KEK), confirms them with an association and only then retires the old ones.",
          "Prints the old and the new key id (never a key). Exit code 1 and the step it stopped at when it fails."},
      footer = {"", "Example: ./s3mp keys rotate house-1 --headend http://127.0.0.1:8080 --token $TOKEN"})
  static final class Rotate extends HeadendOptions implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      JsonNode r = call("POST", "/api/meters/" + encoded() + "/keys/rotate");
      PrintWriter out = spec.commandLine().getOut();
      out.println("meter " + r.get("meterId").asText() + ": keys " + r.get("oldKeyId").asText() + " retired, now "
          + r.get("newKeyId").asText() + " (audit " + r.get("auditId").asLong() + ")");
      out.flush();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true,
      description = "Which keys a meter uses: key id, source (keysFile, rotated, drkey), since, pending transfer.")
  static final class Show extends HeadendOptions implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      JsonNode k = call("GET", "/api/meters/" + encoded() + "/keys");
      PrintWriter out = spec.commandLine().getOut();
      out.println("meter " + k.get("meterId").asText() + ": " + k.get("source").asText()
          + (k.hasNonNull("keyId") ? ", key id " + k.get("keyId").asText() : "")
          + (k.hasNonNull("since") ? ", since " + k.get("since").asText() : "")
          + (k.hasNonNull("pending") ? ", transferred and not confirmed: " + k.get("pending").get("keyId").asText()
              : "")
          + (k.get("rotatable").asBoolean() ? "" : " (not rotatable)"));
      out.flush();
      return 0;
    }
  }
}
