package org.s3mp.headend;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * What a test started (meter agents, head-end processes), closed after each test in reverse order, also when the
 * test failed, and all of them even when one fails to close. Register as
 * {@code @RegisterExtension final Running running = new Running();}.
 */
final class Running implements AfterEachCallback {
  private final List<AutoCloseable> started = new ArrayList<>();

  /** Closes {@code thing} after the test; returns it. */
  <T extends AutoCloseable> T add(T thing) {
    started.add(thing);
    return thing;
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    Exception failure = null;
    for (int i = started.size() - 1; i >= 0; i--) {
      try {
        started.get(i).close();
      } catch (Exception e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    started.clear();
    if (failure != null) {
      throw failure;
    }
  }
}
