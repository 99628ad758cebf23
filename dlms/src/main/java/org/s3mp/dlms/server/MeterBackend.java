package org.s3mp.dlms.server;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import org.s3mp.dlms.ObisCode;

/**
 * What the DLMS server needs from the meter agent: live values, relay, display, stored profiles. Values are
 * physical (V, A, W, Wh, ...); the server applies each register's scaler. Calls come from one thread at a time.
 */
public interface MeterBackend {

  String serialNumber();

  String firmwareId();

  /**
   * The present value of a register of {@link org.s3mp.dlms.MeterObjects#REGISTERS}.
   *
   * @throws TemporaryFailureException when the value cannot be obtained now (e.g. Modbus timeout): the client
   *     gets a DLMS temporary-failure, never stale data
   */
  BigDecimal registerValue(ObisCode register) throws TemporaryFailureException;

  /** The meter's clock. */
  Instant now();

  /** A client set the clock (logged as an event by the backend). */
  void setClock(Instant time);

  RelayStatus relay();

  /** remote_disconnect: open the relay, persist, log. */
  void disconnect();

  /** remote_reconnect: close the relay, persist, log. */
  void reconnect();

  /** The consumer message on the display. */
  String message();

  void setMessage(String text);

  /** Load profile capture period in seconds. */
  int capturePeriodSeconds();

  /** Load profile rows with from ≤ time ≤ to, oldest first. */
  List<ProfileRow> loadProfile(Instant from, Instant to);

  /** Load profile rows by 1-based position; count 0 = to the end. */
  List<ProfileRow> loadProfile(int first, int count);

  int loadProfileEntries();

  int loadProfileCapacity();

  List<EventRow> events(Instant from, Instant to);

  List<EventRow> events(int first, int count);

  int eventEntries();

  int eventCapacity();

  /** Where and how often the meter pushes (as last set, persisted). */
  default PushSettings pushSettings() {
    return PushSettings.NONE;
  }

  /**
   * A client set where or how often the meter pushes: persist, and push accordingly from now on.
   *
   * @throws UnsupportedOperationException when this meter does not push
   */
  default void setPushSettings(PushSettings settings) {
    throw new UnsupportedOperationException("this meter does not push");
  }

  /** The firmware store behind the image transfer object, or null when this meter takes no images. */
  default ImageTransferTarget imageTransfer() {
    return null;
  }

  /** A client failed to authenticate (wrong keys, failed HLS, undecryptable request). */
  void authenticationFailed(String peer, String reason);

  /**
   * State of the disconnect control.
   *
   * @param controlState 0 disconnected, 1 connected, 2 ready_for_reconnection
   */
  record RelayStatus(boolean outputConnected, int controlState) {}

  /**
   * One load profile row: values in the order of {@link org.s3mp.dlms.MeterObjects#LOAD_PROFILE_COLUMNS}, and the
   * row's status (bits of {@link org.s3mp.dlms.MeterObjects#PROFILE_STATUS}).
   */
  record ProfileRow(Instant time, List<BigDecimal> values, int status) {
    /** A row of a regular interval (status 0). */
    public ProfileRow(Instant time, List<BigDecimal> values) {
      this(time, values, 0);
    }
  }

  /** One event log row. */
  record EventRow(Instant time, int code) {}
}
