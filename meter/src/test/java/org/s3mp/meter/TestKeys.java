package org.s3mp.meter;

import org.s3mp.dlms.security.KeysFile;

final class TestKeys {
  private TestKeys() {}

  static KeysFile random() {
    return KeysFile.generate(new byte[] {'S', '3', 'M', 'P', 'H', 'E', 0, 1}, new byte[] {'S', '3', 'M', 'P', 0, 0, 0, 7});
  }
}
