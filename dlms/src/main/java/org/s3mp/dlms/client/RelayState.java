package org.s3mp.dlms.client;

/**
 * The state of the disconnect control 0.0.96.3.10.255.
 *
 * @param outputConnected attribute 2, output_state: true when the relay supplies the load
 * @param control attribute 3, control_state
 */
public record RelayState(boolean outputConnected, Control control) {

  /** control_state values (IEC 62056-6-2 class 70). */
  public enum Control {
    DISCONNECTED,
    CONNECTED,
    READY_FOR_RECONNECTION;

    public static Control forValue(int v) {
      if (v < 0 || v >= values().length) {
        throw new IllegalArgumentException("unknown control_state " + v);
      }
      return values()[v];
    }
  }
}
