package org.s3mp.headend.fleet;

/**
 * A meter as written in the config file or posted to the API; absent fields take their defaults
 * (drkey false, pollSeconds 60, profile false).
 */
public record MeterInput(
    String id, String url, String keysFile, String policy, Boolean drkey, Integer pollSeconds, Boolean profile) {

  public static final int DEFAULT_POLL_SECONDS = 60;

  public MeterSpec toSpec() {
    return new MeterSpec(id, url, blankToNull(keysFile), blankToNull(policy), drkey != null && drkey,
        pollSeconds == null ? DEFAULT_POLL_SECONDS : pollSeconds, profile != null && profile).validated();
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }
}
