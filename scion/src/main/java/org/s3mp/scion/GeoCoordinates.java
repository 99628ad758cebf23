package org.s3mp.scion;

/**
 * Where an AS locates one of its interfaces (staticInfoConfig.json "Geo"). {@code address} is free text; the
 * S3MP testbed puts an ISO country code there so that geofences can use it.
 */
public record GeoCoordinates(float latitude, float longitude, String address) {
  public boolean isKnown() {
    return latitude != 0 || longitude != 0 || !address.isEmpty();
  }
}
