package org.s3mp.dlms.security;

import java.security.Provider;
import java.security.Security;
import java.util.List;
import java.util.Map;

/**
 * AES-GCM without a new cipher per DLMS message. Gurux 4.0.47 (and its newest release) calls
 * {@code Cipher.getInstance("AES/GCM/NoPadding")} for every ciphered APDU and GMAC (private static
 * {@code GXSecure.getCipher}, no hook to reuse one); the lookup, the new cipher and its key schedule were the
 * largest single item of the meter's request path. {@link #install()} puts a JCA provider first that serves
 * exactly that transformation with one SunJCE cipher per thread, re-initialised for every message: Gurux keeps
 * its code and wire format, and the ciphertext is the SunJCE one, byte for byte. It only takes effect on JVMs that
 * accept unsigned JCE providers (OpenJDK); elsewhere {@code Cipher.getInstance} skips it and nothing changes.
 */
public final class ReusedGcmCiphers {
  /** The provider's name, as {@code Cipher.getProvider().getName()} reports it. */
  public static final String PROVIDER = "S3MP-ReusedGcm";
  static final String TRANSFORMATION = "AES/GCM/NoPadding";

  private ReusedGcmCiphers() {}

  /** Installs the provider in this JVM (once; later calls do nothing). */
  public static void install() {
    Holder.installed();
  }

  /** Class initialisation runs once per JVM, also when threads race. */
  private static final class Holder {
    static {
      if (Security.getProvider(PROVIDER) == null) {
        Security.insertProviderAt(new GcmProvider(), 1);
      }
    }

    static void installed() {}
  }

  private static final class GcmProvider extends Provider {
    private static final long serialVersionUID = 1L;

    GcmProvider() {
      super(PROVIDER, "1.0", TRANSFORMATION + ": one SunJCE cipher per thread, re-initialised per message");
      putService(new Service(this, "Cipher", TRANSFORMATION, ReusedGcmCipherSpi.class.getName(), List.of(),
          Map.of()) {
        @Override
        public Object newInstance(Object constructorParameter) {
          return new ReusedGcmCipherSpi(); // no reflection per message either
        }
      });
    }
  }
}
