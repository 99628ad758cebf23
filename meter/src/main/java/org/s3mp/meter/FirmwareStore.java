package org.s3mp.meter;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.PublicKey;
import java.util.BitSet;
import java.util.Properties;
import java.util.function.Consumer;
import org.s3mp.dlms.MeterEvent;
import org.s3mp.dlms.firmware.FirmwareImage;
import org.s3mp.dlms.server.ImageTransferTarget;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's firmware: images arriving by image transfer, the active firmware id and the previous one for
 * rollback, all in {@code DATA/firmware}. Blocks go to {@code incoming.part}; a verified image is moved
 * (atomically) to {@code verified.img}, an activated one to {@code active.img}, the one it replaces to
 * {@code previous.img}; the ids are in {@code state.properties}, replaced atomically.
 *
 * <p>Start check: the agent is one program, so "the new firmware starts" is modelled as a check run on the
 * activated image, at activation and again at the next agent start if the agent died in between: the stored image
 * must still verify (signature and hash, i.e. the "flash" is intact) and its self-test must pass (the manifest's
 * {@code self-test}, so a failing firmware can be simulated). A failed check restores the previous firmware.
 */
final class FirmwareStore implements ImageTransferTarget {
  private static final Logger log = LoggerFactory.getLogger(FirmwareStore.class);
  /** Fits one ciphered request in the association's 1024-byte PDUs. */
  static final int BLOCK_SIZE = 512;
  /** Largest image accepted (a meter's flash is small; a client cannot fill the disk). */
  static final long MAX_IMAGE_BYTES = 4L << 20;

  private final Path dir;
  private final PublicKey trusted;
  private final String builtIn;
  private final Consumer<MeterEvent> events;
  private final Properties state = new Properties();

  private byte[] identifier = new byte[0];
  private long size;
  private BitSet received = new BitSet();
  private int status; // image_transfer_status
  private byte[] signature = new byte[0];

  /**
   * @param trusted the firmware-signing key, or null: every transfer is refused
   * @param builtIn the firmware id when no image was ever activated
   */
  FirmwareStore(Path dir, PublicKey trusted, String builtIn, Consumer<MeterEvent> events) throws IOException {
    this.dir = dir;
    this.trusted = trusted;
    this.builtIn = builtIn;
    this.events = events;
    Files.createDirectories(dir);
    Files.deleteIfExists(dir.resolve("incoming.part")); // transfers do not survive a restart
    Path file = dir.resolve("state.properties");
    if (Files.exists(file)) {
      state.load(new StringReader(Files.readString(file, StandardCharsets.UTF_8)));
    }
    restoreVerified();
    if ("true".equals(state.getProperty("trial"))) {
      log.warn("firmware {} was activated but its start was not confirmed: checking it again",
          state.getProperty("active.id"));
      try {
        startCheck();
      } catch (Refused e) {
        log.warn("{}", e.getMessage());
      }
    }
  }

  /**
   * A verified image survives a restart (its activation may be scheduled): it is checked again and kept, or
   * dropped with its schedule.
   */
  private void restoreVerified() throws IOException {
    Path verified = dir.resolve("verified.img");
    if (Files.exists(verified) && trusted != null) {
      byte[] bundle = Files.readAllBytes(verified);
      try {
        FirmwareImage image = check(bundle);
        identifier = image.firmwareId().getBytes(StandardCharsets.US_ASCII);
        size = bundle.length;
        received.set(0, (int) blocks());
        signature = image.signature();
        status = 3;
        return;
      } catch (FirmwareImage.InvalidImageException e) {
        log.warn("verified firmware image dropped: {}", e.getMessage());
      }
    }
    Files.deleteIfExists(verified);
    if (state.remove("activation.at") != null) {
      save();
    }
  }

  /** The active firmware's id. */
  synchronized String activeId() {
    return state.getProperty("active.id", builtIn);
  }

  /** The firmware a rollback returns to, or null when none was replaced yet. */
  synchronized String previousId() {
    return state.getProperty("previous.id");
  }

  @Override
  public int blockSize() {
    return BLOCK_SIZE;
  }

  @Override
  public synchronized void initiate(byte[] id, long bytes) throws Refused {
    if (trusted == null) {
      throw new Refused("this meter trusts no firmware-signing key (start it with --firmware-key FILE)");
    }
    if (id.length == 0 || id.length > 64) {
      throw new Refused("image identifier must be 1 to 64 bytes");
    }
    if (bytes <= 0 || bytes > MAX_IMAGE_BYTES) {
      throw new Refused("image size " + bytes + " bytes: must be 1 to " + MAX_IMAGE_BYTES);
    }
    try {
      Path part = dir.resolve("incoming.part");
      Files.deleteIfExists(part);
      Files.deleteIfExists(dir.resolve("verified.img"));
      Files.createFile(part);
    } catch (IOException e) {
      throw new Refused("cannot store the image: " + e.getMessage());
    }
    if (state.remove("activation.at") != null) {
      save(); // the image it was for is gone
    }
    identifier = id.clone();
    size = bytes;
    received = new BitSet();
    signature = new byte[0];
    status = 1;
    log.info("firmware image transfer initiated: {} bytes", bytes);
  }

  private long blocks() {
    return (size + BLOCK_SIZE - 1) / BLOCK_SIZE;
  }

  @Override
  public synchronized void block(long number, byte[] data) throws Refused {
    if (status != 1) {
      throw new Refused("no image transfer initiated");
    }
    if (number < 0 || number >= blocks()) {
      throw new Refused("block " + number + " outside the image's " + blocks() + " blocks");
    }
    long expected = Math.min(BLOCK_SIZE, size - number * BLOCK_SIZE);
    if (data.length != expected) {
      throw new Refused("block " + number + " has " + data.length + " bytes, expected " + expected);
    }
    try (FileChannel ch = FileChannel.open(dir.resolve("incoming.part"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(data), number * BLOCK_SIZE);
    } catch (IOException e) {
      throw new Refused("cannot store block " + number + ": " + e.getMessage());
    }
    received.set((int) number);
  }

  @Override
  public synchronized void verify() throws Refused {
    if (status == 3) {
      return; // verified already (a client may ask again)
    }
    if (status != 1) {
      throw new Refused("no image transfer initiated");
    }
    if (received.nextClearBit(0) < blocks()) {
      throw new Refused("block " + received.nextClearBit(0) + " of " + blocks() + " not transferred");
    }
    Path part = dir.resolve("incoming.part");
    try {
      FirmwareImage image = check(Files.readAllBytes(part));
      if (!image.firmwareId().equals(new String(identifier, StandardCharsets.US_ASCII))) {
        throw new FirmwareImage.InvalidImageException("the transfer's identifier is not the image's firmware id "
            + image.firmwareId());
      }
      try (FileChannel ch = FileChannel.open(part, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      Files.move(part, dir.resolve("verified.img"), StandardCopyOption.ATOMIC_MOVE);
      signature = image.signature();
      status = 3;
      log.info("firmware image {} verified (payload SHA-256 {})", image.firmwareId(), image.payloadSha256());
    } catch (FirmwareImage.InvalidImageException e) {
      status = 4;
      deleteQuietly(part);
      events.accept(MeterEvent.FIRMWARE_VERIFICATION_FAILED);
      throw new Refused("image refused: " + e.getMessage());
    } catch (IOException e) {
      status = 4;
      throw new Refused("cannot read the image: " + e.getMessage());
    }
  }

  private FirmwareImage check(byte[] bundle) throws FirmwareImage.InvalidImageException {
    FirmwareImage image = FirmwareImage.parse(bundle);
    image.verify(trusted);
    return image;
  }

  @Override
  public synchronized void activate() throws Refused {
    if (status != 3) {
      throw new Refused("no verified image");
    }
    if (state.remove("activation.at") != null) {
      save();
    }
    status = 5;
    String next = new String(identifier, StandardCharsets.US_ASCII);
    String current = activeId();
    try {
      Path active = dir.resolve("active.img");
      Path previous = dir.resolve("previous.img");
      if (Files.exists(active)) {
        Files.move(active, previous, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(previous); // the previous firmware is the built-in one
      }
      Files.move(dir.resolve("verified.img"), active, StandardCopyOption.ATOMIC_MOVE);
      state.setProperty("previous.id", current);
      state.setProperty("active.id", next);
      state.setProperty("trial", "true");
      save();
    } catch (IOException e) {
      status = 7;
      throw new Refused("cannot install the image: " + e.getMessage());
    }
    log.info("firmware {} activated (previous {}), running its start check", next, current);
    startCheck();
    status = 6;
    identifier = new byte[0];
    signature = new byte[0];
  }

  /** Confirms the active image or rolls back to the previous one (then throws). */
  private void startCheck() throws Refused {
    String id = activeId();
    String problem;
    try {
      FirmwareImage image = check(Files.readAllBytes(dir.resolve("active.img")));
      problem = image.selfTestPasses() ? null : "its self-test failed";
    } catch (IOException e) {
      problem = "its image cannot be read: " + e.getMessage();
    } catch (FirmwareImage.InvalidImageException e) {
      problem = "its stored image is damaged: " + e.getMessage();
    }
    if (problem == null) {
      state.remove("trial");
      save();
      log.info("firmware {} started (start check passed)", id);
      events.accept(MeterEvent.FIRMWARE_ACTIVATED);
      return;
    }
    String back = state.getProperty("previous.id", builtIn);
    try {
      Path previous = dir.resolve("previous.img");
      if (Files.exists(previous)) {
        Files.move(previous, dir.resolve("active.img"), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } else {
        Files.deleteIfExists(dir.resolve("active.img"));
      }
    } catch (IOException e) {
      log.error("firmware rollback: cannot restore the previous image: {}", e.getMessage());
    }
    if (back.equals(builtIn)) {
      state.remove("active.id");
    } else {
      state.setProperty("active.id", back);
    }
    state.remove("previous.id");
    state.remove("trial");
    save();
    status = 7;
    events.accept(MeterEvent.FIRMWARE_ROLLED_BACK);
    throw new Refused("firmware " + id + " failed to start (" + problem + "): rolled back to " + back);
  }

  @Override
  public synchronized void scheduleActivation(java.time.Instant at) throws Refused {
    if (at == null) {
      if (state.remove("activation.at") != null) {
        save();
        log.info("firmware activation schedule cancelled");
      }
      return;
    }
    if (status != 3) {
      throw new Refused("no verified image to activate");
    }
    state.setProperty("activation.at", Long.toString(at.toEpochMilli()));
    save();
    log.info("firmware {} will be activated at {}", new String(identifier, StandardCharsets.US_ASCII), at);
  }

  @Override
  public synchronized java.time.Instant scheduledActivation() {
    String at = state.getProperty("activation.at");
    return at == null ? null : java.time.Instant.ofEpochMilli(Long.parseLong(at));
  }

  /** Activates the verified image if its scheduled time has come on the meter's clock (polled by the agent). */
  synchronized void activateIfDue(java.time.Instant now) {
    java.time.Instant at = scheduledActivation();
    if (at == null || now.isBefore(at)) {
      return;
    }
    log.info("firmware activation scheduled for {} is due", at);
    try {
      activate();
    } catch (Refused e) {
      log.warn("firmware: scheduled activation failed: {}", e.getMessage());
    } finally {
      if (state.remove("activation.at") != null) {
        save();
      }
    }
  }

  @Override
  public synchronized Status status() {
    return new Status(status, received.nextClearBit(0), identifier.clone(), size, signature.clone());
  }

  private void save() {
    try {
      StringWriter w = new StringWriter();
      state.store(w, "firmware of this meter");
      Path tmp = dir.resolve("state.properties.tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ch.write(ByteBuffer.wrap(w.toString().getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      Files.move(tmp, dir.resolve("state.properties"), StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot save the firmware state", e);
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // a leftover part is deleted at the next initiate or start
    }
  }
}
