package org.s3mp.headend.auth;

import io.javalin.security.RouteRole;
import java.util.Locale;

/** What a token may do: viewers read; operators also send commands and change the fleet. */
public enum Role implements RouteRole {
  VIEWER,
  OPERATOR;

  public boolean includes(Role required) {
    return this == OPERATOR || required == VIEWER;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Role parse(String text) {
    if (text != null) {
      for (Role r : values()) {
        if (r.label().equals(text.trim().toLowerCase(Locale.ROOT))) {
          return r;
        }
      }
    }
    throw new IllegalArgumentException("role must be viewer or operator, got " + text);
  }
}
