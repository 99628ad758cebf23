package org.s3mp.dlms.server;

/**
 * Where the image transfer object (class 18, 0.0.44.0.0.255) puts images: the meter agent's firmware store.
 * Each method either does its step or throws {@link Refused} with a one-line reason (the client gets a DLMS
 * error, the reason goes to the meter's log). Calls come from one thread at a time.
 */
public interface ImageTransferTarget {

  /** Bytes per image block (image_block_size). */
  int blockSize();

  /** image_transfer_initiate: a new transfer of {@code size} bytes; any earlier unfinished transfer is dropped. */
  void initiate(byte[] identifier, long size) throws Refused;

  /** image_block_transfer: block {@code number} (0-based, {@link #blockSize} bytes except the last). */
  void block(long number, byte[] data) throws Refused;

  /** image_verify: all blocks there, signature and hash good. */
  void verify() throws Refused;

  /** image_activate: the verified image becomes the active firmware (or the meter rolls back: Refused). */
  void activate() throws Refused;

  /**
   * The image activation schedule's execution_time was written: activate the verified image at this meter time
   * (null: cancel).
   */
  void scheduleActivation(java.time.Instant at) throws Refused;

  /** When the verified image will be activated, or null. */
  java.time.Instant scheduledActivation();

  /** The transfer's state, as the attributes show it. */
  Status status();

  /**
   * @param transferStatus image_transfer_status (0 not initiated ... 7 activation failed)
   * @param firstMissingBlock image_first_not_transferred_block_number
   * @param identifier the image being transferred (empty when none)
   * @param size its size in bytes
   * @param signature the verified image's signature (empty until verified), for image_to_activate_info
   */
  record Status(int transferStatus, long firstMissingBlock, byte[] identifier, long size, byte[] signature) {}

  /** A step refused, with the reason. */
  final class Refused extends Exception {
    public Refused(String reason) {
      super(reason);
    }
  }
}
