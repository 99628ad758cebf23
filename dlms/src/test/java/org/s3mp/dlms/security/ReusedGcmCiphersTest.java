package org.s3mp.dlms.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import gurux.dlms.GXByteBuffer;
import gurux.dlms.GXDLMSSettings;
import gurux.dlms.enums.Security;
import gurux.dlms.objects.enums.SecuritySuite;
import gurux.dlms.secure.AesGcmParameter;
import gurux.dlms.secure.GXCiphering;
import gurux.dlms.secure.GXDLMSSecureClient;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ReusedGcmCiphersTest {
  private static final HexFormat HEX = HexFormat.of().withUpperCase();
  // the Green Book's example (IEC 62056-5-3 / DLMS UA 1000-2): a glo-get-request
  private static final byte[] TITLE = HEX.parseHex("4D4D4D0000BC614E");
  private static final byte[] EK = HEX.parseHex("000102030405060708090A0B0C0D0E0F");
  private static final byte[] AK = HEX.parseHex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF");
  private static final byte[] GET = HEX.parseHex("C0010000080000010000FF0200");
  private static final long IC = 0x01234567L;

  @BeforeAll
  static void install() {
    ReusedGcmCiphers.install();
  }

  private static AesGcmParameter parameter(int tag, Security security, byte[] title, long ic) {
    return new AesGcmParameter(null, tag, security, SecuritySuite.SUITE_0, ic, title, EK, AK);
  }

  private static byte[] guruxEncrypt(int tag, Security security, long ic) throws Exception {
    return GXCiphering.encrypt(parameter(tag, security, TITLE, ic), GET);
  }

  @Test
  void guruxGetsTheReusingCipher() throws Exception {
    assertThat(Cipher.getInstance("AES/GCM/NoPadding").getProvider().getName())
        .isEqualTo(ReusedGcmCiphers.PROVIDER);
  }

  @Test
  void guruxCiphersAsWithItsOwnCipherByteForByte() throws Exception {
    // recorded from Gurux 4.0.47 with SunJCE and no provider of ours (the AE one is the Green Book's)
    for (int i = 0; i < 3; i++) { // the second and third time on a reused cipher
      assertThat(HEX.formatHex(guruxEncrypt(0xC8, Security.AUTHENTICATION_ENCRYPTION, IC)))
          .isEqualTo("C81E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
      assertThat(HEX.formatHex(guruxEncrypt(0xC8, Security.AUTHENTICATION, IC)))
          .isEqualTo("C81E1001234567C0010000080000010000FF020006725D910F9221D263877516");
      assertThat(HEX.formatHex(guruxEncrypt(0xC8, Security.ENCRYPTION, IC)))
          .isEqualTo("C8122001234567411312FF935A47566827C467BC");
      assertThat(HEX.formatHex(guruxEncrypt(0xDB, Security.AUTHENTICATION_ENCRYPTION, IC)))
          .isEqualTo("DB084D4D4D0000BC614E1E3001234567411312FF935A47566827C467BC7D825C3BE4A77C3FCC056B6B");
    }
  }

  @Test
  void whatGuruxCiphersSunJceDecryptsAndTheOtherWayRound() throws Exception {
    for (long ic = 1; ic <= 20; ic++) {
      byte[] apdu = guruxEncrypt(0xDB, Security.AUTHENTICATION_ENCRYPTION, ic);
      // general-glo-ciphering: tag, 8, title, length, SC, IC (4), ciphertext and 12-byte tag
      byte[] sealed = Arrays.copyOfRange(apdu, 1 + 1 + 8 + 1 + 1 + 4, apdu.length);
      assertThat(sunJce(Cipher.DECRYPT_MODE, ic, sealed)).isEqualTo(GET);

      byte[] bySunJce = sunJce(Cipher.ENCRYPT_MODE, ic, GET);
      GXByteBuffer received = new GXByteBuffer();
      received.set(Arrays.copyOf(apdu, apdu.length - bySunJce.length));
      received.set(bySunJce);
      byte[] plain = guruxDecrypt(received, ic);
      assertThat(plain).isEqualTo(GET);
    }
  }

  /** A general-glo-ciphering APDU deciphered by Gurux, as its client does (it needs a client's settings). */
  private static byte[] guruxDecrypt(GXByteBuffer apdu, long ic) throws Exception {
    GXDLMSSettings settings = new GXDLMSSecureClient(true) {
      GXDLMSSettings settings() {
        return getSettings();
      }
    }.settings();
    return GXCiphering.decrypt(settings.getCipher(), new AesGcmParameter(settings, 0xDB,
        Security.AUTHENTICATION_ENCRYPTION, SecuritySuite.SUITE_0, ic, TITLE, EK, AK), apdu);
  }

  /** AES-GCM as Gurux does it, with a SunJCE cipher of its own: 12-byte tag, AAD = SC 0x30 || AK. */
  private static byte[] sunJce(int mode, long ic, byte[] data) throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    byte[] iv = ByteBuffer.allocate(12).put(TITLE).putInt((int) ic).array();
    c.init(mode, new SecretKeySpec(EK, "AES"), new GCMParameterSpec(96, iv));
    c.updateAAD(new byte[] {0x30});
    c.updateAAD(AK);
    return c.doFinal(data);
  }

  @Test
  void aTamperedApduIsRefusedAndTheNextOneStillDecrypts() throws Exception {
    byte[] apdu = guruxEncrypt(0xDB, Security.AUTHENTICATION_ENCRYPTION, IC);
    byte[] tampered = apdu.clone();
    tampered[tampered.length - 1] ^= 1;
    GXByteBuffer bad = new GXByteBuffer(tampered);
    assertThatThrownBy(() -> guruxDecrypt(bad, IC))
        .isInstanceOf(AEADBadTagException.class);
    GXByteBuffer good = new GXByteBuffer(apdu);
    assertThat(guruxDecrypt(good, IC))
        .isEqualTo(GET);
  }

  @Test
  void twoCiphersInUseAtOnceOnOneThreadDoNotMix() throws Exception {
    SecretKeySpec key = new SecretKeySpec(EK, "AES");
    byte[] iv1 = ByteBuffer.allocate(12).put(TITLE).putInt(1).array();
    byte[] iv2 = ByteBuffer.allocate(12).put(TITLE).putInt(2).array();
    Cipher a = Cipher.getInstance("AES/GCM/NoPadding");
    Cipher b = Cipher.getInstance("AES/GCM/NoPadding");
    a.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(96, iv1));
    b.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(96, iv2));
    a.updateAAD(AK);
    b.updateAAD(AK);
    byte[] fromB = b.doFinal(GET);
    byte[] fromA = a.doFinal(GET);

    Cipher reference = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    reference.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(96, iv1));
    reference.updateAAD(AK);
    assertThat(fromA).isEqualTo(reference.doFinal(GET));
    reference.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(96, iv2));
    reference.updateAAD(AK);
    assertThat(fromB).isEqualTo(reference.doFinal(GET));
  }

  @Test
  void aDecryptingCipherIsReusableAfterDoFinalAsJceSays() throws Exception {
    byte[] sealed = sunJce(Cipher.ENCRYPT_MODE, IC, GET);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    byte[] iv = ByteBuffer.allocate(12).put(TITLE).putInt((int) IC).array();
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(EK, "AES"), new GCMParameterSpec(96, iv));
    for (int i = 0; i < 2; i++) {
      c.updateAAD(new byte[] {0x30});
      c.updateAAD(AK);
      assertThat(c.doFinal(sealed)).isEqualTo(GET);
    }
  }

  @Test
  void anEncryptingCipherRefusesItsIvAgainAfterDoFinalAsJceSays() throws Exception {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(EK, "AES"),
        new GCMParameterSpec(96, ByteBuffer.allocate(12).put(TITLE).putInt(7).array()));
    c.doFinal(GET);
    assertThatThrownBy(() -> c.doFinal(GET)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void otherUsersOfTheTransformationGetJceBehaviourToo() throws Exception {
    // e.g. the head-end's master key (16-byte tag, array offsets) and TLS (byte buffers, short output buffers)
    SecretKeySpec key = new SecretKeySpec(EK, "AES");
    byte[] nonce = ByteBuffer.allocate(12).putInt(42).array();
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    c.updateAAD(ByteBuffer.wrap(AK));
    ByteBuffer out = ByteBuffer.allocate(c.getOutputSize(GET.length));
    assertThatThrownBy(() -> c.doFinal(ByteBuffer.wrap(GET), ByteBuffer.allocate(4)))
        .isInstanceOf(javax.crypto.ShortBufferException.class);
    c.doFinal(ByteBuffer.wrap(GET), out); // the same operation again, with room this time

    Cipher reference = Cipher.getInstance("AES/GCM/NoPadding", "SunJCE");
    reference.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    reference.updateAAD(AK);
    assertThat(out.array()).isEqualTo(reference.doFinal(GET));

    byte[] sealed = new byte[3 + out.capacity()];
    System.arraycopy(out.array(), 0, sealed, 3, out.capacity());
    Cipher d = Cipher.getInstance("AES/GCM/NoPadding");
    d.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
    d.updateAAD(AK);
    assertThat(d.doFinal(sealed, 3, sealed.length - 3)).isEqualTo(GET);
    assertThat(d.getIV()).isEqualTo(nonce);
  }
}
