package org.s3mp.bench.jmh;

import java.io.IOException;
import java.math.BigDecimal;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.s3mp.dlms.server.InMemoryRequestPath;
import org.s3mp.dlms.transport.scion.InMemoryScionLink;

/**
 * One reading without the network: the client encodes a single-register GET on an open HLS-GMAC association,
 * the meter's DLMS server handles it, the client decodes the answer; with TCP framing (the wrapper PDU) and
 * with SCION framing (the PDU inside an encoded and decoded SCION/UDP packet both ways). Run with
 * {@code ./s3mp bench jmh}; regressions of the request path show here without a testbed.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RequestPathBenchmark {
  @Param({"TCP", "SCION"})
  public String framing;

  private InMemoryRequestPath path;

  @Setup(Level.Trial)
  public void open() throws IOException {
    path = InMemoryRequestPath.open(switch (framing) {
      case "TCP" -> InMemoryRequestPath.TCP;
      case "SCION" -> InMemoryScionLink::new;
      default -> throw new IllegalArgumentException("framing TCP or SCION, not " + framing);
    });
  }

  @Benchmark
  public BigDecimal reading() throws IOException {
    return path.read();
  }

  @TearDown(Level.Trial)
  public void close() {
    path.close();
  }
}
