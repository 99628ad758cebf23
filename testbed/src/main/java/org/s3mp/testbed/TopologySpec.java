package org.s3mp.testbed;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A human-readable testbed topology (see default-topology.yaml): the ASes with their role, loopback address and
 * location, and the inter-AS links. Validated on load so that a typo fails with a clear message before any
 * process starts.
 */
public record TopologySpec(Map<String, AsSpec> ases, List<LinkSpec> links) {

  private static final Pattern IA = Pattern.compile("[1-9][0-9]{0,4}-[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}");
  private static final Pattern INTERFACE = Pattern.compile("(" + IA.pattern() + ")#([1-9][0-9]{0,4})");
  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory()).enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** Role of an AS in the metering scenario. */
  public enum Role {
    @JsonProperty("core") CORE,
    @JsonProperty("concentrator") CONCENTRATOR,
    @JsonProperty("head-end") HEAD_END,
    @JsonProperty("leaf") LEAF,
    /** An AS outside the utility (e.g. an attacker's): with hidden paths it must find no path to a meter. */
    @JsonProperty("outsider") OUTSIDER;

    public String label() {
      return name().toLowerCase().replace('_', '-');
    }
  }

  /** One AS. */
  public record AsSpec(String name, Role role, String ip, Geo geo) {
    public boolean core() {
      return role == Role.CORE;
    }
  }

  /** Location of an AS; the country ends up in the path metadata (geofencing). */
  public record Geo(double latitude, double longitude, String country) {}

  /** An inter-AS link between interface {@code a} and {@code b} ("IA#IFID"). */
  public record LinkSpec(String a, String b, String type, String latency, String note) {
    public boolean core() {
      return "core".equals(type);
    }
  }

  /** An interface of an AS, parsed from "IA#IFID". */
  public record Interface(String ia, int ifid) {
    public static Interface parse(String text) {
      var m = INTERFACE.matcher(text == null ? "" : text.trim());
      if (!m.matches()) {
        throw new IllegalArgumentException("not an interface (expected ISD-AS#IFID, e.g. 1-ff00:0:111#1): " + text);
      }
      return new Interface(m.group(1), Integer.parseInt(m.group(2)));
    }

    @Override
    public String toString() {
      return ia + "#" + ifid;
    }
  }

  public TopologySpec {
    ases = Collections.unmodifiableMap(new LinkedHashMap<>(ases == null ? Map.of() : ases));
    links = List.copyOf(links == null ? List.of() : links);
    validate(ases, links);
  }

  public static TopologySpec defaultTopology() {
    try (InputStream in = TopologySpec.class.getResourceAsStream("default-topology.yaml")) {
      return YAML.readValue(in, TopologySpec.class);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static TopologySpec load(Path file) throws IOException {
    try {
      return YAML.readValue(Files.readAllBytes(file), TopologySpec.class);
    } catch (com.fasterxml.jackson.databind.JsonMappingException e) {
      Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
      throw new IOException("invalid topology " + file + ": " + cause.getMessage().lines().findFirst().orElse(""), e);
    }
  }

  /** The first AS with the given role, e.g. the concentrator. */
  public String asWithRole(Role role) {
    return ases.entrySet().stream()
        .filter(e -> e.getValue().role() == role)
        .map(Map.Entry::getKey)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException("the topology has no AS with role " + role.label()));
  }

  public AsSpec as(String ia) {
    AsSpec as = ases.get(ia);
    if (as == null) {
      throw new IllegalArgumentException("no AS " + ia + " in the topology (ASes: " + ases.keySet() + ")");
    }
    return as;
  }

  /** The link attached to an interface. */
  public LinkSpec linkAt(Interface itf) {
    as(itf.ia());
    return links.stream()
        .filter(l -> Interface.parse(l.a()).equals(itf) || Interface.parse(l.b()).equals(itf))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("AS " + itf.ia() + " has no interface " + itf.ifid()));
  }

  /** The interface at the other end of the link attached to {@code itf}. */
  public Interface peerOf(Interface itf) {
    LinkSpec l = linkAt(itf);
    Interface a = Interface.parse(l.a());
    return a.equals(itf) ? Interface.parse(l.b()) : a;
  }

  /** All interfaces of one AS, in IFID order. */
  public List<Interface> interfacesOf(String ia) {
    List<Interface> out = new ArrayList<>();
    for (LinkSpec l : links) {
      for (String end : List.of(l.a(), l.b())) {
        Interface i = Interface.parse(end);
        if (i.ia().equals(ia)) {
          out.add(i);
        }
      }
    }
    out.sort((x, y) -> Integer.compare(x.ifid(), y.ifid()));
    return out;
  }

  /** The same topology with every AS moved to another /16 of 127.0.0.0/8 (127.B.x.y), so testbeds can coexist. */
  public TopologySpec withLoopbackBlock(int block) {
    if (block < 0 || block > 255) {
      throw new IllegalArgumentException("loopback block must be 0..255: " + block);
    }
    Map<String, AsSpec> moved = new LinkedHashMap<>();
    ases.forEach((ia, as) -> {
      String[] octets = as.ip().split("\\.");
      moved.put(ia, new AsSpec(as.name(), as.role(), "127." + block + "." + octets[2] + "." + octets[3], as.geo()));
    });
    return new TopologySpec(moved, links);
  }

  static int isd(String ia) {
    return Integer.parseInt(ia.substring(0, ia.indexOf('-')));
  }

  private static void validate(Map<String, AsSpec> ases, List<LinkSpec> links) {
    if (ases.isEmpty()) {
      throw new IllegalArgumentException("the topology has no ASes");
    }
    Set<String> ips = new HashSet<>();
    Set<Integer> isdsWithCore = new HashSet<>();
    ases.forEach((ia, as) -> {
      if (!IA.matcher(ia).matches()) {
        throw new IllegalArgumentException("not an ISD-AS (expected e.g. 1-ff00:0:110): " + ia);
      }
      if (as == null || as.role() == null || as.ip() == null) {
        throw new IllegalArgumentException("AS " + ia + " needs a role and an ip");
      }
      try {
        InetAddress addr = InetAddress.getByName(as.ip());
        if (!addr.isLoopbackAddress() || as.ip().contains(":")) {
          throw new IllegalArgumentException("AS " + ia + ": ip must be an IPv4 loopback address (127.x.y.z): " + as.ip());
        }
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException("AS " + ia + ": bad ip " + as.ip());
      }
      if (!ips.add(as.ip())) {
        throw new IllegalArgumentException("two ASes share the ip " + as.ip() + ": give each AS its own address");
      }
      if (as.core()) {
        isdsWithCore.add(isd(ia));
      }
    });
    for (String ia : ases.keySet()) {
      if (!isdsWithCore.contains(isd(ia))) {
        throw new IllegalArgumentException("ISD " + isd(ia) + " has no core AS");
      }
    }
    Set<Interface> seen = new HashSet<>();
    for (LinkSpec l : links) {
      if (l.a() == null || l.b() == null || l.type() == null) {
        throw new IllegalArgumentException("every link needs a, b and type: " + l);
      }
      Interface a = Interface.parse(l.a());
      Interface b = Interface.parse(l.b());
      for (Interface i : List.of(a, b)) {
        if (!ases.containsKey(i.ia())) {
          throw new IllegalArgumentException("link " + l.a() + " - " + l.b() + " names unknown AS " + i.ia());
        }
        if (!seen.add(i)) {
          throw new IllegalArgumentException("interface " + i + " is used by two links");
        }
        if (i.ifid() > 9999) {
          throw new IllegalArgumentException("interface id too large (max 9999): " + i);
        }
      }
      switch (l.type()) {
        case "core" -> {
          if (!ases.get(a.ia()).core() || !ases.get(b.ia()).core()) {
            throw new IllegalArgumentException("core link " + l.a() + " - " + l.b() + " must join two core ASes");
          }
        }
        case "child" -> {
          if (ases.get(b.ia()).core()) {
            throw new IllegalArgumentException("child link " + l.a() + " - " + l.b() + ": a core AS cannot be a child");
          }
        }
        default -> throw new IllegalArgumentException("link type must be core or child: " + l.type());
      }
      if (l.latency() != null) {
        GoDuration.parse(l.latency());
      }
    }
  }
}
