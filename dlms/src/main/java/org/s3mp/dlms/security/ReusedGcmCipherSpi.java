package org.s3mp.dlms.security;

import java.nio.ByteBuffer;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.InvalidAlgorithmParameterException;
import java.security.InvalidKeyException;
import java.security.Key;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.security.ProviderException;
import java.security.SecureRandom;
import java.security.Security;
import java.security.spec.AlgorithmParameterSpec;
import javax.crypto.BadPaddingException;
import javax.crypto.Cipher;
import javax.crypto.CipherSpi;
import javax.crypto.IllegalBlockSizeException;
import javax.crypto.NoSuchPaddingException;
import javax.crypto.ShortBufferException;

/**
 * One {@code AES/GCM/NoPadding} cipher object of {@link ReusedGcmCiphers}: from {@code init} to {@code doFinal} it
 * borrows the real (SunJCE) cipher of its thread and delegates every call to it; {@code doFinal} gives that back
 * for the next message. Two of these in use at once on one thread each get their own real cipher, so interleaved
 * use stays correct; after {@code doFinal} the next call re-borrows and re-initialises with the same arguments, as
 * JCE's reset after {@code doFinal} requires (for decryption; encryption must be re-initialised with a new IV
 * anyway).
 */
final class ReusedGcmCipherSpi extends CipherSpi {
  private static final Provider REAL = realProvider();
  /** The real cipher that no cipher object of this thread holds right now (null while one holds it). */
  private static final ThreadLocal<Cipher[]> SPARE = ThreadLocal.withInitial(() -> new Cipher[1]);

  private Cipher active;
  private int opmode;
  private Key key;
  private AlgorithmParameterSpec spec;
  private AlgorithmParameters parameters;
  private SecureRandom random;
  private boolean initialised;

  private static Provider realProvider() {
    for (Provider p : Security.getProviders()) {
      if (!p.getName().equals(ReusedGcmCiphers.PROVIDER)
          && p.getService("Cipher", ReusedGcmCiphers.TRANSFORMATION) != null) {
        return p;
      }
    }
    throw new ProviderException("no provider of " + ReusedGcmCiphers.TRANSFORMATION + " besides "
        + ReusedGcmCiphers.PROVIDER);
  }

  private static Cipher newReal() {
    try {
      return Cipher.getInstance(ReusedGcmCiphers.TRANSFORMATION, REAL);
    } catch (NoSuchAlgorithmException | NoSuchPaddingException e) {
      throw new ProviderException(e);
    }
  }

  private static Cipher borrow() {
    Cipher[] slot = SPARE.get();
    Cipher c = slot[0];
    slot[0] = null;
    return c != null ? c : newReal();
  }

  private void release() {
    if (active != null) {
      Cipher[] slot = SPARE.get();
      if (slot[0] == null) {
        slot[0] = active;
      }
      active = null;
    }
  }

  private void init(int opmode, Key key, AlgorithmParameterSpec spec, AlgorithmParameters parameters,
      SecureRandom random) throws InvalidKeyException, InvalidAlgorithmParameterException {
    release();
    Cipher c = borrow();
    try {
      initReal(c, opmode, key, spec, parameters, random);
    } catch (InvalidAlgorithmParameterException | InvalidKeyException e) {
      // SunJCE refuses to encrypt twice with its previous key and IV (Gurux checks a received GMAC by computing
      // it in encryption mode); a new cipher, which is what Gurux asked for, has no previous IV: it says whether
      // the arguments themselves are wrong
      c = newReal();
      initReal(c, opmode, key, spec, parameters, random);
    }
    active = c;
    this.opmode = opmode;
    this.key = key;
    this.spec = spec;
    this.parameters = parameters;
    this.random = random;
    initialised = true;
  }

  private static void initReal(Cipher c, int opmode, Key key, AlgorithmParameterSpec spec,
      AlgorithmParameters parameters, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    if (spec != null) {
      c.init(opmode, key, spec, random);
    } else if (parameters != null) {
      c.init(opmode, key, parameters, random);
    } else {
      c.init(opmode, key, random);
    }
  }

  /** The real cipher, initialised again after a doFinal gave it back. */
  private Cipher active() {
    if (active == null) {
      if (!initialised) {
        throw new IllegalStateException("Cipher not initialized");
      }
      Cipher c = borrow();
      try {
        initReal(c, opmode, key, spec, parameters, random);
      } catch (GeneralSecurityException e) {
        // encryption after doFinal: GCM refuses the same IV again, as the real cipher does
        throw new IllegalStateException(e.getMessage(), e);
      }
      active = c;
    }
    return active;
  }

  @Override
  protected void engineSetMode(String mode) throws NoSuchAlgorithmException {
    if (!mode.equalsIgnoreCase("GCM")) {
      throw new NoSuchAlgorithmException("only GCM: " + mode);
    }
  }

  @Override
  protected void engineSetPadding(String padding) throws NoSuchPaddingException {
    if (!padding.equalsIgnoreCase("NoPadding")) {
      throw new NoSuchPaddingException("only NoPadding: " + padding);
    }
  }

  @Override
  protected int engineGetBlockSize() {
    return 16;
  }

  @Override
  protected int engineGetOutputSize(int inputLen) {
    return active().getOutputSize(inputLen);
  }

  @Override
  protected byte[] engineGetIV() {
    return initialised ? active().getIV() : null;
  }

  @Override
  protected AlgorithmParameters engineGetParameters() {
    return initialised ? active().getParameters() : null;
  }

  @Override
  protected int engineGetKeySize(Key key) throws InvalidKeyException {
    byte[] encoded = key.getEncoded();
    if (encoded == null) {
      throw new InvalidKeyException("key without an encoding");
    }
    return encoded.length * 8;
  }

  @Override
  protected void engineInit(int opmode, Key key, SecureRandom random) throws InvalidKeyException {
    try {
      init(opmode, key, null, null, random);
    } catch (InvalidAlgorithmParameterException e) {
      throw new InvalidKeyException(e.getMessage(), e);
    }
  }

  @Override
  protected void engineInit(int opmode, Key key, AlgorithmParameterSpec params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    init(opmode, key, params, null, random);
  }

  @Override
  protected void engineInit(int opmode, Key key, AlgorithmParameters params, SecureRandom random)
      throws InvalidKeyException, InvalidAlgorithmParameterException {
    init(opmode, key, null, params, random);
  }

  @Override
  protected void engineUpdateAAD(byte[] src, int offset, int len) {
    active().updateAAD(src, offset, len);
  }

  @Override
  protected void engineUpdateAAD(ByteBuffer src) {
    active().updateAAD(src);
  }

  @Override
  protected byte[] engineUpdate(byte[] input, int inputOffset, int inputLen) {
    return active().update(input, inputOffset, inputLen);
  }

  @Override
  protected int engineUpdate(byte[] input, int inputOffset, int inputLen, byte[] output, int outputOffset)
      throws ShortBufferException {
    return active().update(input, inputOffset, inputLen, output, outputOffset);
  }

  @Override
  protected int engineUpdate(ByteBuffer input, ByteBuffer output) throws ShortBufferException {
    return active().update(input, output);
  }

  @Override
  protected byte[] engineDoFinal(byte[] input, int inputOffset, int inputLen)
      throws IllegalBlockSizeException, BadPaddingException {
    try {
      return input == null ? active().doFinal() : active().doFinal(input, inputOffset, inputLen);
    } finally {
      release();
    }
  }

  @Override
  protected int engineDoFinal(byte[] input, int inputOffset, int inputLen, byte[] output, int outputOffset)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    int n;
    try {
      n = active().doFinal(input, inputOffset, inputLen, output, outputOffset);
    } catch (ShortBufferException e) {
      throw e; // JCE: the cipher stays as it is, so that the call can be repeated with a larger buffer
    } catch (GeneralSecurityException | RuntimeException e) {
      release();
      throw e;
    }
    release();
    return n;
  }

  @Override
  protected int engineDoFinal(ByteBuffer input, ByteBuffer output)
      throws ShortBufferException, IllegalBlockSizeException, BadPaddingException {
    int n;
    try {
      n = active().doFinal(input, output);
    } catch (ShortBufferException e) {
      throw e; // as above
    } catch (GeneralSecurityException | RuntimeException e) {
      release();
      throw e;
    }
    release();
    return n;
  }

  @Override
  protected byte[] engineWrap(Key key) throws IllegalBlockSizeException, InvalidKeyException {
    try {
      return active().wrap(key);
    } finally {
      release();
    }
  }

  @Override
  protected Key engineUnwrap(byte[] wrappedKey, String wrappedKeyAlgorithm, int wrappedKeyType)
      throws InvalidKeyException, NoSuchAlgorithmException {
    try {
      return active().unwrap(wrappedKey, wrappedKeyAlgorithm, wrappedKeyType);
    } finally {
      release();
    }
  }
}
