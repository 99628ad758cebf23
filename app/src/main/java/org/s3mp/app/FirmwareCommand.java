package org.s3mp.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import org.s3mp.dlms.client.MeterClient;
import org.s3mp.dlms.firmware.FirmwareImage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code s3mp firmware keygen|sign|push|status|rollout}: signed firmware images, their transfer to a meter, and
 * rollouts to groups of meters through the head-end.
 */
@Command(
    name = "firmware",
    mixinStandardHelpOptions = true,
    description = "Signed firmware images (Ed25519), their image transfer (class 18) to a meter, and rollouts to"
        + " groups of meters through the head-end (rollout).",
    subcommands = {FirmwareCommand.Keygen.class, FirmwareCommand.Sign.class, FirmwareCommand.Push.class,
        FirmwareCommand.Status.class, FirmwareRolloutCommand.class})
final class FirmwareCommand {

  @Command(name = "keygen", mixinStandardHelpOptions = true,
      description = "Make an Ed25519 firmware-signing key pair: NAME.key (private, PEM, mode 600) and NAME.pub"
          + " (public, PEM: give it to meters with --firmware-key).",
      footer = {"", "Example: ./s3mp firmware keygen --out firmware"})
  static final class Keygen implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--out", paramLabel = "NAME", required = true, description = "Path of the key files without"
        + " extension.")
    Path out;

    @Override
    public Integer call() throws IOException {
      Path priv = Path.of(out + ".key");
      Path pub = Path.of(out + ".pub");
      if (Files.exists(priv) || Files.exists(pub)) {
        throw new S3mp.UsageError(priv + " or " + pub + " exists already; not overwritten");
      }
      KeyPair pair = FirmwareImage.generateKeyPair();
      writeAtomically(priv, FirmwareImage.pem(pair.getPrivate()), true);
      writeAtomically(pub, FirmwareImage.pem(pair.getPublic()), false);
      spec.commandLine().getOut().println("private key " + priv + ", public key " + pub);
      return 0;
    }
  }

  @Command(name = "sign", mixinStandardHelpOptions = true,
      description = "Sign a payload into a firmware image: a manifest (firmware id, payload size and SHA-256,"
          + " self-test) signed with the private key, followed by the payload.",
      footer = {"", "Example: ./s3mp firmware sign --key firmware.key --id 's3mp-meter 1.1' --payload fw.bin"
          + " --out fw.img"})
  static final class Sign implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--key", paramLabel = "FILE", required = true, description = "Private key (firmware keygen).")
    Path key;

    @Option(names = "--id", paramLabel = "TEXT", required = true,
        description = "Firmware id the meter reports once the image is active (1-64 printable ASCII).")
    String id;

    @Option(names = "--payload", paramLabel = "FILE", required = true, description = "The firmware payload.")
    Path payload;

    @Option(names = "--out", paramLabel = "FILE", required = true, description = "Where the image goes.")
    Path out;

    @Option(names = "--simulate-start-failure", description = "Mark the image's self-test as failing: the meter"
        + " activates it, sees it fail to start and rolls back (labs and tests).")
    boolean startFailure;

    @Override
    public Integer call() throws IOException {
      byte[] bytes = readFile(payload, "--payload");
      if (bytes.length > (4 << 20)) {
        throw new S3mp.UsageError("--payload: " + bytes.length + " bytes; meters take images up to 4 MiB");
      }
      FirmwareImage image;
      try {
        image = FirmwareImage.sign(id, bytes, !startFailure, FirmwareImage.readPrivateKey(key));
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      } catch (IOException e) {
        throw new S3mp.UsageError("--key: " + e.getMessage());
      }
      writeAtomically(out, image.encode(), false);
      spec.commandLine().getOut().println("image " + out + ": firmware " + image.firmwareId() + ", payload "
          + bytes.length + " bytes, SHA-256 " + image.payloadSha256());
      return 0;
    }
  }

  @Command(name = "push", mixinStandardHelpOptions = true,
      description = {"Transfer a firmware image to a meter (image transfer 0.0.44.0.0.255, management client):"
          + " initiate, blocks, verify, activate, then print the active firmware id.",
          "The meter checks the signature against its --firmware-key and the payload's hash; a refused image"
              + " leaves its firmware as it was (exit code 1)."},
      footer = {"", "Example: ./s3mp firmware push tcp://127.0.0.1:4059 --image fw.img --keys meter.keys"})
  static final class Push implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin MeterTarget target;

    @Option(names = "--image", paramLabel = "FILE", required = true, description = "The signed image.")
    Path imageFile;

    @Option(names = "--activate-at", paramLabel = "TIME",
        description = "Do not activate now: the meter activates the verified image at this time of its clock"
            + " (ISO-8601 instant, e.g. 2026-12-05T02:00:00Z, or +SECONDS from now), through its image"
            + " activation schedule 0.0.15.0.2.255.")
    String activateAt;

    private java.time.Instant activationTime() {
      if (activateAt == null) {
        return null;
      }
      try {
        if (activateAt.startsWith("+")) {
          return java.time.Instant.now().plusSeconds(Long.parseLong(activateAt.substring(1)));
        }
        return java.time.Instant.parse(activateAt);
      } catch (RuntimeException e) {
        throw new S3mp.UsageError("--activate-at: an ISO-8601 instant (2026-12-05T02:00:00Z) or +SECONDS, got "
            + activateAt);
      }
    }

    @Override
    public Integer call() throws IOException {
      byte[] bytes = readFile(imageFile, "--image");
      FirmwareImage image;
      try {
        image = FirmwareImage.parse(bytes); // the identifier; the meter does the checks that count
      } catch (FirmwareImage.InvalidImageException e) {
        throw new S3mp.UsageError("--image: " + e.getMessage());
      }
      PrintWriter out = spec.commandLine().getOut();
      java.time.Instant at = activationTime();
      try (MeterClient c = target.openManagement("firmware push")) {
        out.println("active firmware " + c.readFirmwareId());
        out.println("transferring " + image.firmwareId() + " (" + bytes.length + " bytes)");
        out.flush();
        long[] reported = {0};
        String active = c.transferFirmware(bytes, image.firmwareId(), sent -> {
          if (sent * 4 / bytes.length > reported[0] || sent == bytes.length) {
            reported[0] = sent * 4 / bytes.length;
            out.println("sent " + sent + " of " + bytes.length + " bytes");
            out.flush();
          }
        }, at);
        if (at != null) {
          out.println("verified; activation scheduled for " + c.readScheduledFirmwareActivation()
              .map(Object::toString).orElse("(none: the meter did not keep it)"));
          out.println("active firmware " + active);
          return 0;
        }
        out.println("active firmware " + active);
        if (!active.equals(image.firmwareId())) {
          throw new IOException("the meter reports " + active + " after activating " + image.firmwareId());
        }
      }
      return 0;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Print a meter's active firmware id and its image transfer status (management client).",
      footer = {"", "Example: ./s3mp firmware status tcp://127.0.0.1:4059 --keys meter.keys"})
  static final class Status implements Callable<Integer> {
    @Spec picocli.CommandLine.Model.CommandSpec spec;
    @Mixin MeterTarget target;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try (MeterClient c = target.openManagement("firmware status")) {
        out.println("active firmware " + c.readFirmwareId());
        int s = c.readImageTransferStatus();
        out.println("image transfer status " + s + " ("
            + gurux.dlms.objects.enums.ImageTransferStatus.values()[Math.max(0, Math.min(7, s))] + ")");
        out.println("scheduled activation " + c.readScheduledFirmwareActivation().map(Object::toString)
            .orElse("none"));
      }
      return 0;
    }
  }

  private static byte[] readFile(Path file, String option) {
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      throw new S3mp.UsageError(option + ": cannot read " + file + " (" + e.getMessage() + ")");
    }
  }

  private static void writeAtomically(Path file, Object content, boolean secret) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, ".firmware", ".tmp");
    try {
      if (secret) {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      }
      if (content instanceof byte[] b) {
        Files.write(tmp, b);
      } else {
        Files.writeString(tmp, (String) content);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
