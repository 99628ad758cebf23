package org.s3mp.headend.polling;

/** What a firmware transfer through a meter's session reports while it goes (called on the meter's thread). */
public interface FirmwareProgress {

  /**
   * After each block: {@code bytes} of {@code total} sent.
   *
   * @return false to stop the transfer here (cancelled): it ends in a {@link FirmwareRefusedException} that says so
   */
  boolean sent(long bytes, long total);

  /** A step after the blocks begins: "image_verify", then "image_activate" or "schedule_activation". */
  void step(String step);
}
