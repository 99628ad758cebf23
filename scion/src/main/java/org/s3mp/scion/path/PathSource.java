package org.s3mp.scion.path;

import java.io.IOException;
import java.util.List;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.ScionPath;

/** Where a {@link PathSelector} gets paths: normally the daemon ({@link PathSelector#create}). */
@FunctionalInterface
public interface PathSource {
  List<ScionPath> paths(IsdAs destination, boolean refresh) throws IOException;
}
