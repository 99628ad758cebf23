package org.s3mp.scion.policy;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.s3mp.scion.PathInterface;
import org.s3mp.scion.ScionPath;

/**
 * scionproto's path-policy sequence: hop predicates ({@code ISD}, {@code ISD-AS}, {@code ISD-AS#IF},
 * {@code ISD-AS#IN,OUT}; 0 = any) combined with {@code ? + * |} and parentheses, matched against the whole path
 * written as {@code IA#in,out} per AS. As in scionproto's grammar, {@code |} binds tighter than juxtaposition:
 * {@code a b|c d} means {@code a (b|c) d}. Translated to a regular expression like scionproto does.
 */
final class Sequence {
  private static final String ISD_ANY = "([0-9]+)";
  private static final String AS_ANY = "(([0-9]+)|([0-9a-fA-F]+:[0-9a-fA-F]+:[0-9a-fA-F]+))";
  private static final String IF_ANY = "([0-9]+)";

  private final String source;
  private final Pattern regex;

  private Sequence(String source, Pattern regex) {
    this.source = source;
    this.regex = regex;
  }

  static Sequence parse(String text) {
    Parser p = new Parser(text);
    String re = p.parseAll();
    return new Sequence(text, Pattern.compile("^" + re + "$"));
  }

  boolean matches(ScionPath path) {
    return regex.matcher(describe(path)).matches();
  }

  /** {@code 1-ff00:0:111#0,1 1-ff00:0:110#2,3 1-ff00:0:112#4,0 } (trailing space, as scionproto). */
  static String describe(ScionPath path) {
    List<PathInterface> ifs = path.interfaces();
    if (ifs.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    sb.append(ifs.get(0).isdAs()).append("#0,").append(ifs.get(0).id()).append(' ');
    for (int i = 1; i < ifs.size() - 1; i += 2) {
      sb.append(ifs.get(i).isdAs()).append('#').append(ifs.get(i).id()).append(',').append(ifs.get(i + 1).id())
          .append(' ');
    }
    PathInterface last = ifs.get(ifs.size() - 1);
    sb.append(last.isdAs()).append('#').append(last.id()).append(",0 ");
    return sb.toString();
  }

  @Override
  public String toString() {
    return source;
  }

  /** Recursive descent over scionproto's Sequence grammar; errors name the position. */
  private static final class Parser {
    private final String text;
    private final List<String> tokens = new ArrayList<>();
    private final List<Integer> positions = new ArrayList<>();
    private int next;

    Parser(String text) {
      this.text = text;
      tokenize();
    }

    private IllegalArgumentException error(String message) {
      int pos = next < positions.size() ? positions.get(next) : text.length();
      return new IllegalArgumentException("sequence '" + text + "' at " + pos + ": " + message);
    }

    private void tokenize() {
      int i = 0;
      while (i < text.length()) {
        char c = text.charAt(i);
        if (Character.isWhitespace(c)) {
          i++;
          continue;
        }
        int start = i;
        if ("#,?+*|()".indexOf(c) >= 0) {
          i++;
        } else if (Character.isDigit(c)) {
          while (i < text.length() && Character.isDigit(text.charAt(i))) {
            i++;
          }
        } else if (c == '-') {
          i++;
          while (i < text.length() && (Character.isLetterOrDigit(text.charAt(i)) || text.charAt(i) == ':')) {
            i++;
          }
        } else {
          throw new IllegalArgumentException("sequence '" + text + "' at " + i + ": unexpected '" + c + "'");
        }
        tokens.add(text.substring(start, i));
        positions.add(start);
      }
    }

    private String peek() {
      return next < tokens.size() ? tokens.get(next) : null;
    }

    String parseAll() {
      if (tokens.isEmpty()) {
        throw error("empty sequence");
      }
      String re = concatenation();
      if (peek() != null) {
        throw error("unexpected '" + peek() + "'");
      }
      return re;
    }

    private String concatenation() {
      StringBuilder sb = new StringBuilder();
      int n = 0;
      while (peek() != null && !peek().equals(")") && !peek().equals("|")) {
        sb.append(alternation());
        n++;
      }
      if (n == 0) {
        throw error("expected a hop");
      }
      return "(" + sb + ")";
    }

    private String alternation() {
      String left = postfix();
      while ("|".equals(peek())) {
        next++;
        left = "(" + left + "|" + postfix() + ")";
      }
      return left;
    }

    private String postfix() {
      String re = primary();
      while (peek() != null && "?+*".contains(peek()) && peek().length() == 1) {
        re = "(" + re + ")" + tokens.get(next++);
      }
      return re;
    }

    private String primary() {
      String t = peek();
      if (t == null) {
        throw error("expected a hop");
      }
      if (t.equals("(")) {
        next++;
        String inner = concatenation();
        if (!")".equals(peek())) {
          throw error("missing ')'");
        }
        next++;
        return inner;
      }
      return "(" + hop() + " +)";
    }

    private String hop() {
      String isd = tokens.get(next);
      if (!isd.matches("0|[1-9][0-9]*")) {
        throw error("expected an ISD, got '" + isd + "'");
      }
      next++;
      String isdRe = isd.equals("0") ? ISD_ANY : isd;
      String as = peek();
      if (as == null || !as.startsWith("-")) {
        return "(" + isdRe + "-" + AS_ANY + "#" + IF_ANY + "," + IF_ANY + ")";
      }
      String asRe;
      if (as.equals("-0")) {
        asRe = AS_ANY;
      } else if (as.matches("-[1-9][0-9]*")) {
        asRe = as.substring(1);
      } else if (as.matches("-([1-9a-fA-F][0-9a-fA-F]*|0):([1-9a-fA-F][0-9a-fA-F]*|0):([1-9a-fA-F][0-9a-fA-F]*|0)")) {
        asRe = as.substring(1);
      } else {
        throw error("bad AS '" + as + "'");
      }
      next++;
      if (!"#".equals(peek())) {
        return "(" + isdRe + "-" + asRe + "#" + IF_ANY + "," + IF_ANY + ")";
      }
      next++;
      String if1 = iface();
      if (!",".equals(peek())) {
        return "(" + isdRe + "-" + asRe + "#((" + IF_ANY + "," + if1 + ")|(" + if1 + "," + IF_ANY + ")))";
      }
      next++;
      String if2 = iface();
      return "(" + isdRe + "-" + asRe + "#" + if1 + "," + if2 + ")";
    }

    private String iface() {
      String t = peek();
      if (t == null || !t.matches("0|[1-9][0-9]*")) {
        throw error("expected an interface id");
      }
      next++;
      return t.equals("0") ? IF_ANY : t;
    }
  }
}
