package org.s3mp.scion.it;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.s3mp.scion.ScionAddress;
import org.s3mp.scion.daemon.DaemonClient;
import org.s3mp.scion.socket.ReceivedDatagram;
import org.s3mp.scion.socket.ScionDatagramSocket;

/**
 * A separate process for the integration tests: answers every SCION/UDP datagram with "echo:" + payload on the
 * reversed path. Args: DAEMON HOST_IP PORT. Prints "READY address" once bound; exits after 3 idle minutes.
 */
public final class UdpResponderMain {
  public static void main(String[] args) throws Exception {
    try (DaemonClient daemon = DaemonClient.connect(args[0]);
        ScionDatagramSocket socket = ScionDatagramSocket.open(daemon, ScionAddress.parseIp(args[1], args[1]),
            Integer.parseInt(args[2]))) {
      System.out.println("READY " + socket.localAddress());
      System.out.flush();
      while (true) {
        ReceivedDatagram d = socket.receive(Duration.ofMinutes(3));
        if (d == null) {
          return;
        }
        socket.reply(d, ("echo:" + new String(d.payload(), StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private UdpResponderMain() {}

}
