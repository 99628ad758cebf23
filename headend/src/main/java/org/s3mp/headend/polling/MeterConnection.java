package org.s3mp.headend.polling;

import java.io.IOException;
import java.time.Instant;
import java.util.List;
import org.s3mp.headend.fleet.ProfileEntry;

/**
 * One open association with one meter. Used by one thread at a time (the meter's session); any
 * {@link IOException} makes the meter's DLMS session ({@link org.s3mp.dlms.client.Session}) drop the association
 * and run the operation again on a new one, per the retry policy.
 */
public interface MeterConnection extends AutoCloseable {

  /** Reads the instantaneous registers and the relay state. */
  MeterSnapshot read() throws IOException;

  /** Opens the relay and returns the state read back from the meter afterwards. */
  String disconnect() throws IOException;

  /** Closes the relay (or arms it, depending on the meter's control mode) and returns the state read back. */
  String reconnect() throws IOException;

  /** Writes the display message and returns the text read back from the meter. */
  String showMessage(String text) throws IOException;

  /** Where and how often the meter pushes (its push setups and the registers' period). */
  default org.s3mp.dlms.server.PushSettings readPushSettings() throws IOException {
    throw new IOException("this meter connection cannot read push settings");
  }

  /**
   * Sets both push setups' destination (empty: none) and the registers' period (0: none); returns the settings
   * read back from the meter.
   */
  default org.s3mp.dlms.server.PushSettings setPush(String destination, long periodSeconds) throws IOException {
    throw new IOException("this meter connection cannot set push settings");
  }

  /**
   * Transfers a signed firmware image (image transfer, class 18), has the meter verify it and activate it now
   * ({@code activateAt} null) or schedule its activation; returns the active firmware id read back afterwards.
   *
   * @throws FirmwareRefusedException when the meter refused the image, rolled it back, or {@code progress} stopped
   */
  default String transferFirmware(byte[] image, String firmwareId, Instant activateAt, FirmwareProgress progress)
      throws IOException {
    throw new IOException("this meter connection cannot transfer firmware");
  }

  /** The meter's active firmware id. */
  default String readFirmwareId() throws IOException {
    throw new IOException("this meter connection cannot read the firmware id");
  }

  /** Load-profile intervals captured in [from, to]. */
  List<ProfileEntry> readProfile(Instant from, Instant to) throws IOException;

  /** The meter's clock (the head-end measures the drift around this call, see {@link ClockReading}). */
  Instant readClock() throws IOException;

  /** Sets the meter's clock. */
  void setClock(Instant time) throws IOException;

  @Override
  void close();
}
