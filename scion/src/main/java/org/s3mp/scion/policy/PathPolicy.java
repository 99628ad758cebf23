package org.s3mp.scion.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.s3mp.scion.GeoCoordinates;
import org.s3mp.scion.IsdAs;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionPath;

/**
 * Which paths may carry our traffic, and in which order to prefer them. A policy file (JSON, or YAML for
 * {@code .yaml}/{@code .yml}) has scionproto's shape plus our geofence keys:
 * <pre>
 * acl:               ["- 2", "+ 1-ff00:0:110", "+"]   # scionproto ACL: first match per interface, needs a default
 * sequence:          "1-ff00:0:111 0* 1-ff00:0:112"   # scionproto sequence (see {@link Sequence})
 * allowed_isds:      [1]                               # every AS on the path in one of these ISDs
 * allowed_ases:      ["1-ff00:0:110", ...]             # every AS on the path one of these (besides ends)
 * allowed_countries: ["DE", "CH"]                      # every hop's geo address one of these; unknown = out
 * order:             hops | latency                    # preference; ties by hop sequence
 * </pre>
 * A path is used only if it passes every rule that is present. {@link #apply} fails closed.
 */
public final class PathPolicy {
  private static final Set<String> KEYS = Set.of("name", "acl", "sequence", "allowed_isds", "allowed_ases",
      "allowed_countries", "order");

  /** Preference among compliant paths. */
  public enum Order { DAEMON, HOPS, LATENCY }

  private final String name;
  private final List<AclEntry> acl;
  private final Sequence sequence;
  private final Set<Integer> allowedIsds;
  private final Set<IsdAs> allowedAses;
  private final Set<String> allowedCountries;
  private final Order order;

  record AclEntry(boolean allow, HopPredicate rule) {
    static AclEntry parse(String text) {
      String[] parts = text.split(" ", -1);
      if (parts.length > 2) {
        throw new IllegalArgumentException("ACL entry '" + text + "' has too many parts");
      }
      boolean allow = switch (parts[0]) {
        case "+" -> true;
        case "-" -> false;
        default -> throw new IllegalArgumentException("ACL entry '" + text + "' must start with + or -");
      };
      return new AclEntry(allow, parts.length == 2 ? HopPredicate.parse(parts[1]) : null);
    }

    boolean matchesAll() {
      return rule == null || rule.matchesAll();
    }
  }

  private PathPolicy(String name, List<AclEntry> acl, Sequence sequence, Set<Integer> isds, Set<IsdAs> ases,
      Set<String> countries, Order order) {
    this.name = name;
    this.acl = List.copyOf(acl);
    this.sequence = sequence;
    this.allowedIsds = isds == null ? null : Set.copyOf(isds);
    this.allowedAses = ases == null ? null : Set.copyOf(ases);
    this.allowedCountries = countries == null ? null : Set.copyOf(countries);
    this.order = order;
    if (!this.acl.isEmpty()) {
      int def = -1;
      for (int i = 0; i < this.acl.size(); i++) {
        if (this.acl.get(i).matchesAll()) {
          def = i;
          break;
        }
      }
      if (def < 0) {
        throw new IllegalArgumentException("policy '" + name + "': the ACL has no default entry (end it with \"+\" or \"-\")");
      }
      if (def != this.acl.size() - 1) {
        throw new IllegalArgumentException("policy '" + name + "': the ACL has entries after its default entry");
      }
    }
  }

  /** Every path allowed, daemon order. */
  public static PathPolicy allowAll() {
    return new PathPolicy("allow-all", List.of(), null, null, null, null, Order.DAEMON);
  }

  /** A policy from ACL entries in scionproto syntax (e.g. "- 2", "+"). */
  public static PathPolicy acl(String name, String... entries) {
    List<AclEntry> list = new ArrayList<>();
    for (String e : entries) {
      list.add(AclEntry.parse(e));
    }
    return new PathPolicy(name, list, null, null, null, null, Order.DAEMON);
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private final String name;
    private final List<AclEntry> acl = new ArrayList<>();
    private Sequence sequence;
    private Set<Integer> isds;
    private Set<IsdAs> ases;
    private Set<String> countries;
    private Order order = Order.DAEMON;

    private Builder(String name) {
      this.name = name;
    }

    public Builder acl(String... entries) {
      for (String e : entries) {
        acl.add(AclEntry.parse(e));
      }
      return this;
    }

    public Builder sequence(String seq) {
      this.sequence = Sequence.parse(seq);
      return this;
    }

    public Builder allowedIsds(Integer... values) {
      this.isds = new LinkedHashSet<>(List.of(values));
      return this;
    }

    public Builder allowedAses(IsdAs... values) {
      this.ases = new LinkedHashSet<>(List.of(values));
      return this;
    }

    public Builder allowedCountries(String... values) {
      this.countries = new LinkedHashSet<>();
      for (String v : values) {
        countries.add(v.toUpperCase(Locale.ROOT));
      }
      return this;
    }

    public Builder order(Order o) {
      this.order = o;
      return this;
    }

    public PathPolicy build() {
      return new PathPolicy(name, acl, sequence, isds, ases, countries, order);
    }
  }

  /** Loads a policy file; errors name the file and the offending key. */
  public static PathPolicy load(Path file) throws IOException {
    String fileName = file.getFileName().toString();
    boolean yaml = fileName.endsWith(".yaml") || fileName.endsWith(".yml");
    ObjectMapper mapper = yaml ? new ObjectMapper(new YAMLFactory()) : new ObjectMapper();
    JsonNode root;
    try {
      root = mapper.readTree(Files.readString(file));
    } catch (IOException e) {
      throw new IOException("path policy " + file + ": cannot read it: " + e.getMessage().lines().findFirst().orElse(""), e);
    }
    try {
      return fromTree(root, fileName.replaceFirst("\\.(json|ya?ml)$", ""));
    } catch (IllegalArgumentException e) {
      throw new IOException("path policy " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses the policy from a JSON text (the file format), for callers that hold it in memory. */
  public static PathPolicy parseJson(String json, String defaultName) throws IOException {
    return fromTree(new ObjectMapper().readTree(json), defaultName);
  }

  private static PathPolicy fromTree(JsonNode root, String defaultName) {
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("must be an object with keys " + KEYS);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!KEYS.contains(k)) {
        throw new IllegalArgumentException("unknown key '" + k + "' (supported: " + KEYS + ")");
      }
    }
    Builder b = builder(root.hasNonNull("name") ? root.get("name").asText() : defaultName);
    for (String e : strings(root, "acl")) {
      b.acl(e);
    }
    if (root.has("sequence")) {
      JsonNode s = root.get("sequence");
      if (!s.isTextual()) {
        throw new IllegalArgumentException("'sequence' must be a string");
      }
      b.sequence(s.asText());
    }
    if (root.has("allowed_isds")) {
      JsonNode n = root.get("allowed_isds");
      if (!n.isArray()) {
        throw new IllegalArgumentException("'allowed_isds' must be a list of ISD numbers");
      }
      Set<Integer> isds = new LinkedHashSet<>();
      for (JsonNode x : n) {
        if (!x.canConvertToInt() || !x.isIntegralNumber() || x.asInt() < 1 || x.asInt() > 0xFFFF) {
          throw new IllegalArgumentException("'allowed_isds' entry " + x + " is not an ISD number");
        }
        isds.add(x.asInt());
      }
      b.isds = isds;
    }
    if (root.has("allowed_ases")) {
      Set<IsdAs> ases = new LinkedHashSet<>();
      for (String s : strings(root, "allowed_ases")) {
        ases.add(IsdAs.parse(s));
      }
      b.ases = ases;
    }
    if (root.has("allowed_countries")) {
      b.allowedCountries(strings(root, "allowed_countries").toArray(String[]::new));
    }
    if (root.has("order")) {
      String o = root.get("order").asText();
      b.order(switch (o) {
        case "hops" -> Order.HOPS;
        case "latency" -> Order.LATENCY;
        case "daemon" -> Order.DAEMON;
        default -> throw new IllegalArgumentException("'order' must be hops, latency or daemon, not '" + o + "'");
      });
    }
    return b.build();
  }

  private static List<String> strings(JsonNode root, String key) {
    List<String> out = new ArrayList<>();
    if (!root.has(key)) {
      return out;
    }
    JsonNode n = root.get(key);
    if (!n.isArray()) {
      throw new IllegalArgumentException("'" + key + "' must be a list of strings");
    }
    for (JsonNode x : n) {
      if (!x.isTextual()) {
        throw new IllegalArgumentException("'" + key + "' entry " + x + " is not a string");
      }
      out.add(x.asText());
    }
    return out;
  }

  public String name() {
    return name;
  }

  /** The geofence's ISDs, null when the policy has no such rule. */
  public Set<Integer> allowedIsds() {
    return allowedIsds;
  }

  /** The ASes allowed between the two ends, null when the policy has no such rule. */
  public Set<IsdAs> allowedAses() {
    return allowedAses;
  }

  /** The countries allowed (upper case), null when the policy has no such rule. */
  public Set<String> allowedCountries() {
    return allowedCountries;
  }

  /** Whether one path complies with every rule of this policy. */
  public boolean allows(ScionPath path) {
    return aclAllows(path) && fenceAllows(path) && (sequence == null || sequence.matches(path));
  }

  private boolean aclAllows(ScionPath path) {
    if (acl.isEmpty()) {
      return true;
    }
    List<PathInterface> ifs = path.interfaces();
    for (int i = 0; i < ifs.size(); i++) {
      for (AclEntry e : acl) {
        if (e.rule() == null || e.rule().matches(ifs.get(i), i % 2 != 0)) {
          if (!e.allow()) {
            return false;
          }
          break;
        }
      }
    }
    return true;
  }

  private boolean fenceAllows(ScionPath path) {
    List<IsdAs> ases = path.isdAses();
    if (allowedIsds != null && !ases.stream().allMatch(ia -> allowedIsds.contains(ia.isd()))) {
      return false;
    }
    if (allowedAses != null) {
      // The two ends are given by the communication itself; the fence is about who is in between.
      for (int i = 1; i < ases.size() - 1; i++) {
        if (!allowedAses.contains(ases.get(i))) {
          return false;
        }
      }
    }
    if (allowedCountries != null && !path.isLocal()) {
      List<GeoCoordinates> geo = path.geo();
      if (geo.size() < path.interfaces().size()) {
        return false; // unknown location: cannot prove compliance
      }
      for (GeoCoordinates g : geo) {
        if (!allowedCountries.contains(g.address().trim().toUpperCase(Locale.ROOT))) {
          return false;
        }
      }
    }
    return true;
  }

  /** The compliant paths in preference order (possibly empty). */
  public List<ScionPath> filter(List<ScionPath> paths) {
    List<ScionPath> out = new ArrayList<>();
    for (ScionPath p : paths) {
      if (allows(p)) {
        out.add(p);
      }
    }
    Comparator<ScionPath> c = switch (order) {
      case DAEMON -> null;
      case HOPS -> Comparator.comparingInt(ScionPath::hopCount).thenComparing(ScionPath::hops);
      case LATENCY -> Comparator.comparing((ScionPath p) -> p.totalLatency().orElse(Duration.ofDays(365)))
          .thenComparingInt(ScionPath::hopCount).thenComparing(ScionPath::hops);
    };
    if (c != null) {
      // ties by the hop sequence, not the daemon's order, which changes between lookups: a client must come back
      // to the same path after a repair, and every client of a policy prefers the same one
      out.sort(c);
    }
    return out;
  }

  /** The compliant paths in preference order; none → {@link NoCompliantPathException} naming this policy. */
  public List<ScionPath> apply(IsdAs destination, List<ScionPath> paths) throws NoCompliantPathException {
    List<ScionPath> out = filter(paths);
    if (out.isEmpty()) {
      throw new NoCompliantPathException(name, destination, paths.size());
    }
    return out;
  }

  @Override
  public String toString() {
    return "PathPolicy[" + name + "]";
  }
}
