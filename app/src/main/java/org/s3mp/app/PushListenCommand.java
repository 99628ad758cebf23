package org.s3mp.app;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.s3mp.dlms.push.Notification;
import org.s3mp.dlms.push.PushReceiver;
import org.s3mp.dlms.security.KeysFile;
import org.s3mp.dlms.transport.MeterUrl;
import org.s3mp.dlms.transport.ServerEndpoint;
import org.s3mp.dlms.transport.tcp.TcpTransport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code s3mp push-listen}: a stand-alone push listener that prints what the meters push. */
@Command(
    name = "push-listen",
    mixinStandardHelpOptions = true,
    description = {
      "Listen for the meters' pushes (DLMS Data-Notification, ciphered) and print one line per notification:"
          + " 'accepted METER TIME TITLE #COUNTER registers OBIS=VALUE...' or '... event EVENT relay STATE', and"
          + " 'refused REASON from PEER: DETAIL' for unknown meters, wrong keys, replayed counters and malformed"
          + " frames. The meter is named by its keys file (NAME.keys). Runs until Ctrl-C."
    },
    footer = {"", "Example: ./s3mp push-listen --listen tcp://127.0.0.1:4069 --keys run/headend/keys",
        "         ./s3mp meter --simulated --keys m1.keys --push tcp://127.0.0.1:4069 --push-period 10"})
final class PushListenCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--listen", paramLabel = "URL", defaultValue = "tcp://127.0.0.1:4069",
      description = "Where to listen (default: ${DEFAULT-VALUE}).")
  String listen;

  @Option(names = "--keys", paramLabel = "DIR_OR_FILE", required = true, arity = "1..*",
      description = "The meters' keys files, or directories of NAME.keys files (repeatable).")
  List<Path> keys = new ArrayList<>();

  @Mixin ScionClientOptions scionOptions;

  /** A TCP connection per meter (the meter's own listener allows 32). */
  static final int MAX_CONNECTIONS = 4096;

  @Override
  public Integer call() throws Exception {
    MeterUrl url;
    try {
      url = MeterUrl.parse(listen);
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError("--listen: " + e.getMessage());
    }
    Map<String, PushReceiver.Sender> byTitle = senders(keys);
    PrintWriter out = spec.commandLine().getOut();
    PushReceiver receiver = new PushReceiver(
        title -> Optional.ofNullable(byTitle.get(HexFormat.of().formatHex(title))),
        PushReceiver.Counters.inMemory(),
        new PushReceiver.Listener() {
          @Override
          public void accepted(PushReceiver.Sender sender, Notification n) {
            print(out, "accepted " + sender.meterId() + " " + n.describe());
          }

          @Override
          public void refused(PushReceiver.Refusal reason, String from, String detail) {
            print(out, "refused " + reason.name().toLowerCase(java.util.Locale.ROOT) + " from " + from + ": "
                + detail);
          }
        });
    String limit = Integer.toString(MAX_CONNECTIONS);
    ServerEndpoint endpoint;
    try {
      endpoint = receiver.listen(url, scionOptions.linkOptions(Duration.ofSeconds(5))
          .with(TcpTransport.MAX_CONNECTIONS, limit).with(TcpTransport.MAX_CONNECTIONS_PER_ADDRESS, limit));
    } catch (IllegalArgumentException e) {
      throw new S3mp.UsageError("--listen: " + e.getMessage());
    }
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      endpoint.close();
      stop.countDown();
    }, "push-listen-shutdown"));
    print(out, "listening " + endpoint.localUrl() + " (" + byTitle.size() + " meters)");
    stop.await();
    return 0;
  }

  private static synchronized void print(PrintWriter out, String line) {
    out.println(line);
    out.flush();
  }

  /** Every keys file given (directories: their *.keys files) by server system title (hex). */
  static Map<String, PushReceiver.Sender> senders(List<Path> paths) {
    Map<String, PushReceiver.Sender> result = new LinkedHashMap<>();
    for (Path p : paths) {
      List<Path> files;
      if (Files.isDirectory(p)) {
        try (Stream<Path> s = Files.list(p)) {
          files = s.filter(f -> f.getFileName().toString().endsWith(".keys") && Files.isRegularFile(f)).sorted()
              .toList();
        } catch (IOException e) {
          throw new S3mp.UsageError("--keys " + p + ": " + e.getMessage());
        }
        if (files.isEmpty()) {
          throw new S3mp.UsageError("--keys " + p + ": no NAME.keys files in this directory");
        }
      } else {
        files = List.of(p);
      }
      for (Path f : files) {
        KeysFile k;
        try {
          k = org.s3mp.headend.fleet.KeysDirectory.load(f);
        } catch (IOException | IllegalArgumentException e) {
          throw new S3mp.UsageError("--keys " + f + ": " + e.getMessage());
        }
        String name = f.getFileName().toString().replaceFirst("\\.keys$", "");
        String title = HexFormat.of().formatHex(k.serverSystemTitle());
        PushReceiver.Sender old = result.put(title, new PushReceiver.Sender(name, k));
        if (old != null) {
          throw new S3mp.UsageError("--keys: " + old.meterId() + " and " + name + " have the same server system title "
              + title);
        }
      }
    }
    return result;
  }
}
