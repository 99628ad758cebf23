package org.s3mp.scion.daemon;

import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.s3mp.scion.daemon.proto.ASRequest;
import org.s3mp.scion.daemon.proto.ASResponse;
import org.s3mp.scion.daemon.proto.DRKeyHostHostRequest;
import org.s3mp.scion.daemon.proto.DRKeyHostHostResponse;
import org.s3mp.scion.daemon.proto.DaemonServiceGrpc;
import org.s3mp.scion.daemon.proto.NotifyInterfaceDownRequest;
import org.s3mp.scion.daemon.proto.NotifyInterfaceDownResponse;
import org.s3mp.scion.daemon.proto.Path;
import org.s3mp.scion.daemon.proto.PathsRequest;
import org.s3mp.scion.daemon.proto.PathsResponse;
import org.s3mp.scion.daemon.proto.PortRangeResponse;

/** An in-process gRPC stand-in for the SCION daemon (unit tests only): serves configured answers, records calls. */
public final class FakeDaemon implements AutoCloseable {
  public final long localIa;
  public final Map<Long, List<Path>> pathsByDst = new ConcurrentHashMap<>();
  public final List<NotifyInterfaceDownRequest> interfaceDownCalls = new CopyOnWriteArrayList<>();
  public final List<PathsRequest> pathRequests = new CopyOnWriteArrayList<>();
  public final AtomicInteger pathCalls = new AtomicInteger();
  public volatile int portStart = 31000;
  public volatile int portEnd = 32767;
  private final String name;
  private final Server server;

  public FakeDaemon(long localIa) throws IOException {
    this.localIa = localIa;
    this.name = InProcessServerBuilder.generateName();
    this.server = InProcessServerBuilder.forName(name).directExecutor().addService(new Service()).build().start();
  }

  public DaemonClient client() {
    return DaemonClient.over(InProcessChannelBuilder.forName(name).directExecutor().build(), "fake-daemon");
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private final class Service extends DaemonServiceGrpc.DaemonServiceImplBase {
    @Override
    public void aS(ASRequest req, StreamObserver<ASResponse> out) {
      long ia = req.getIsdAs() == 0 ? localIa : req.getIsdAs();
      out.onNext(ASResponse.newBuilder().setIsdAs(ia).setCore(false).setMtu(1472).build());
      out.onCompleted();
    }

    @Override
    public void portRange(Empty req, StreamObserver<PortRangeResponse> out) {
      out.onNext(PortRangeResponse.newBuilder().setDispatchedPortStart(portStart).setDispatchedPortEnd(portEnd).build());
      out.onCompleted();
    }

    @Override
    public void paths(PathsRequest req, StreamObserver<PathsResponse> out) {
      pathCalls.incrementAndGet();
      pathRequests.add(req);
      List<Path> paths = pathsByDst.get(req.getDestinationIsdAs());
      if (paths == null) {
        out.onError(Status.NOT_FOUND.withDescription("no paths to that AS").asRuntimeException());
        return;
      }
      out.onNext(PathsResponse.newBuilder().addAllPaths(paths).build());
      out.onCompleted();
    }

    @Override
    public void notifyInterfaceDown(NotifyInterfaceDownRequest req, StreamObserver<NotifyInterfaceDownResponse> out) {
      interfaceDownCalls.add(req);
      out.onNext(NotifyInterfaceDownResponse.getDefaultInstance());
      out.onCompleted();
    }

    @Override
    public void dRKeyHostHost(DRKeyHostHostRequest req, StreamObserver<DRKeyHostHostResponse> out) {
      byte[] key = new byte[16];
      key[0] = (byte) req.getProtocolId();
      key[15] = (byte) req.getDstHost().length();
      out.onNext(DRKeyHostHostResponse.newBuilder().setEpochBegin(Timestamp.newBuilder().setSeconds(86400))
          .setEpochEnd(Timestamp.newBuilder().setSeconds(2 * 86400)).setKey(ByteString.copyFrom(key)).build());
      out.onCompleted();
    }
  }
}
