package org.s3mp.scion.policy;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
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
 * epic:              true                              # EPIC-HP: only paths with EPIC authenticators, sent as EPIC
 * </pre>
 * A path is used only if it passes every rule that is present. {@link #apply} fails closed.
 */
public final class PathPolicy {
  private static final Set<String> KEYS = Set.of("name", "acl", "sequence", "allowed_isds", "allowed_ases",
      "allowed_countries", "order", "epic");

  /** Preference among compliant paths. */
  public enum Order {
    DAEMON, HOPS, LATENCY;

    /** The name in a policy file: {@code hops}, {@code latency}, {@code daemon}. */
    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final String name;
  private final List<AclEntry> acl;
  private final Sequence sequence;
  private final Set<Integer> allowedIsds;
  private final Set<IsdAs> allowedAses;
  private final Set<String> allowedCountries;
  private final Order order;
  private final boolean epic;

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
      Set<String> countries, Order order, boolean epic) {
    this.name = name;
    this.epic = epic;
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
    return new PathPolicy("allow-all", List.of(), null, null, null, null, Order.DAEMON, false);
  }

  /** A policy from ACL entries in scionproto syntax (e.g. "- 2", "+"). */
  public static PathPolicy acl(String name, String... entries) {
    List<AclEntry> list = new ArrayList<>();
    for (String e : entries) {
      list.add(AclEntry.parse(e));
    }
    return new PathPolicy(name, list, null, null, null, null, Order.DAEMON, false);
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
    private boolean epic;

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

    /** EPIC-HP: only paths that offer it (or stay inside the AS), and packets sent with the EPIC path type. */
    public Builder epic(boolean on) {
      this.epic = on;
      return this;
    }

    public PathPolicy build() {
      return new PathPolicy(name, acl, sequence, isds, ases, countries, order, epic);
    }
  }

  /** Loads a policy file; errors name the file and the offending key. */
  public static PathPolicy load(Path file) throws IOException {
    String fileName = file.getFileName().toString();
    boolean yaml = fileName.endsWith(".yaml") || fileName.endsWith(".yml");
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      throw new IOException("path policy " + file + ": cannot read it: " + e.getMessage(), e);
    }
    try {
      return bind(yaml ? YAML : JSON, text, fileName.replaceFirst("\\.(json|ya?ml)$", ""));
    } catch (IllegalArgumentException e) {
      throw new IOException("path policy " + file + ": " + e.getMessage(), e);
    }
  }

  /** Parses the policy from a JSON text (the file format), for callers that hold it in memory. */
  public static PathPolicy parseJson(String json, String defaultName) throws IOException {
    try {
      return bind(JSON, json, defaultName);
    } catch (IllegalArgumentException e) {
      throw new IOException("path policy: " + e.getMessage(), e);
    }
  }

  /** The file format: scionproto's policy keys plus the geofence ones, strictly typed (no coercion). */
  private record PolicyFile(
      String name,
      List<String> acl,
      String sequence,
      @JsonProperty("allowed_isds") List<Integer> allowedIsds,
      @JsonProperty("allowed_ases") List<String> allowedAses,
      @JsonProperty("allowed_countries") List<String> allowedCountries,
      Order order,
      Boolean epic) {}

  private static final ObjectMapper JSON = strict(new ObjectMapper());
  private static final ObjectMapper YAML = strict(new ObjectMapper(new YAMLFactory()));

  private static ObjectMapper strict(ObjectMapper m) {
    m.coercionConfigDefaults().setCoercion(CoercionInputShape.String, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail);
    m.configure(MapperFeature.ALLOW_COERCION_OF_SCALARS, false);
    m.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    m.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    m.enable(DeserializationFeature.READ_ENUMS_USING_TO_STRING);
    return m;
  }

  private static PathPolicy bind(ObjectMapper mapper, String text, String defaultName) {
    PolicyFile f;
    try {
      f = mapper.readValue(text, PolicyFile.class);
    } catch (UnrecognizedPropertyException e) {
      throw new IllegalArgumentException("unknown key '" + e.getPropertyName() + "' (supported: " + KEYS + ")", e);
    } catch (InvalidFormatException e) {
      throw new IllegalArgumentException(where(e) + " cannot be " + e.getValue() + expected(e), e);
    } catch (MismatchedInputException e) {
      if (e.getPath().isEmpty()) {
        throw new IllegalArgumentException(e.getOriginalMessage().startsWith("Trailing token")
            ? "cannot read it: more follows the policy object" : "must be an object with keys " + KEYS, e);
      }
      throw new IllegalArgumentException(where(e) + " has the wrong type" + expected(e), e);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot read it: " + e.getOriginalMessage(), e);
    }
    if (f == null) {
      throw new IllegalArgumentException("must be an object with keys " + KEYS);
    }
    Builder b = builder(f.name() != null ? f.name() : defaultName);
    for (String e : orEmpty(f.acl())) {
      b.acl(e);
    }
    if (f.sequence() != null) {
      b.sequence(f.sequence());
    }
    if (f.allowedIsds() != null) {
      for (Integer isd : f.allowedIsds()) {
        if (isd == null || isd < 1 || isd > 0xFFFF) {
          throw new IllegalArgumentException("'allowed_isds' entry " + isd + " is not an ISD number");
        }
      }
      b.isds = new LinkedHashSet<>(f.allowedIsds());
    }
    if (f.allowedAses() != null) {
      Set<IsdAs> ases = new LinkedHashSet<>();
      for (String a : f.allowedAses()) {
        ases.add(IsdAs.parse(String.valueOf(a)));
      }
      b.ases = ases;
    }
    if (f.allowedCountries() != null) {
      b.allowedCountries(f.allowedCountries().toArray(String[]::new));
    }
    if (f.order() != null) {
      b.order(f.order());
    }
    if (f.epic() != null) {
      b.epic(f.epic());
    }
    return b.build();
  }

  private static List<String> orEmpty(List<String> l) {
    return l == null ? List.of() : l;
  }

  /** The key (and list index) an error is about, e.g. {@code 'allowed_isds'[1]}. */
  private static String where(JsonMappingException e) {
    StringBuilder sb = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        sb.append(sb.length() == 0 ? "'" + r.getFieldName() + "'" : "." + r.getFieldName());
      } else if (r.getIndex() >= 0) {
        sb.append('[').append(r.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String expected(MismatchedInputException e) {
    Class<?> t = e.getTargetType();
    if (t == null) {
      return "";
    }
    if (t == Boolean.class || t == boolean.class) {
      return " (true or false)";
    }
    if (t == Order.class) {
      return " (hops, latency or daemon)";
    }
    if (t == Integer.class || t == int.class) {
      return " (an ISD number)";
    }
    if (t == String.class) {
      return " (a string)";
    }
    if (List.class.isAssignableFrom(t)) {
      return " (a list)";
    }
    return "";
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

  /** Whether traffic under this policy is sent with EPIC-HP (and only over paths that offer it). */
  public boolean epic() {
    return epic;
  }

  /** This policy, also requiring EPIC-HP (the CLI's {@code --epic} on top of a policy file). */
  public PathPolicy withEpic() {
    return epic ? this : new PathPolicy(name, acl, sequence, allowedIsds, allowedAses, allowedCountries, order, true);
  }

  /** Whether one path complies with every rule of this policy. */
  public boolean allows(ScionPath path) {
    return aclAllows(path) && fenceAllows(path) && (sequence == null || sequence.matches(path))
        && (!epic || path.isLocal() || path.epicAuths().isPresent());
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
      // with EPIC asked for, say so: "all rejected" alone would hide that no AS offers EPIC authenticators
      boolean noEpic = epic && !paths.isEmpty()
          && paths.stream().noneMatch(q -> q.isLocal() || q.epicAuths().isPresent());
      throw new NoCompliantPathException(name, destination, paths.size(),
          noEpic ? "the policy asks for EPIC-HP and no known path offers EPIC authenticators" : null);
    }
    return out;
  }

  @Override
  public String toString() {
    return "PathPolicy[" + name + (epic ? ", epic" : "") + "]";
  }
}
