package org.s3mp.headend;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Checks JSON responses against the response schemas of the head-end's own openapi.json (the OpenAPI 3.0 subset
 * it uses: $ref, type, nullable, properties, required, items, enum, format date-time). Strict about objects: a
 * property the document does not describe is an error, so code and document cannot drift apart unnoticed.
 */
final class OpenApiSchema {
  private final JsonNode doc;

  OpenApiSchema(JsonNode doc) {
    this.doc = doc;
  }

  /** The problems of a response body for {@code method path-template} with this status; empty when it conforms. */
  List<String> check(String method, String pathTemplate, int status, JsonNode body) {
    JsonNode op = doc.path("paths").path(pathTemplate).path(method.toLowerCase());
    if (op.isMissingNode()) {
      return List.of("undocumented operation " + method + " " + pathTemplate);
    }
    JsonNode response = resolve(op.path("responses").path(Integer.toString(status)));
    if (response.isMissingNode()) {
      return List.of("undocumented status " + status + " for " + method + " " + pathTemplate);
    }
    JsonNode schema = response.path("content").path("application/json").path("schema");
    List<String> problems = new ArrayList<>();
    if (!schema.isMissingNode()) {
      check(schema, body, "$", problems);
    }
    return problems;
  }

  private JsonNode resolve(JsonNode n) {
    while (n.has("$ref")) {
      String ref = n.get("$ref").asText();
      n = doc.at(ref.substring(1));
      if (n.isMissingNode()) {
        throw new IllegalArgumentException("dangling $ref " + ref);
      }
    }
    return n;
  }

  private void check(JsonNode schema, JsonNode value, String where, List<String> problems) {
    schema = resolve(schema);
    if (value == null || value.isMissingNode()) {
      problems.add(where + ": missing");
      return;
    }
    if (value.isNull()) {
      if (!schema.path("nullable").asBoolean(false)) {
        problems.add(where + ": null, not nullable");
      }
      return;
    }
    if (schema.has("enum")) {
      boolean listed = false;
      for (JsonNode e : schema.get("enum")) {
        listed |= e.equals(value);
      }
      if (!listed) {
        problems.add(where + ": " + value + " not in " + schema.get("enum"));
      }
    }
    String type = schema.path("type").asText("");
    switch (type) {
      case "object" -> {
        if (!value.isObject()) {
          problems.add(where + ": not an object");
          return;
        }
        JsonNode props = schema.path("properties");
        for (JsonNode r : schema.path("required")) {
          if (!value.has(r.asText())) {
            problems.add(where + ": required " + r.asText() + " missing");
          }
        }
        for (Iterator<Map.Entry<String, JsonNode>> f = value.fields(); f.hasNext(); ) {
          Map.Entry<String, JsonNode> e = f.next();
          JsonNode p = props.get(e.getKey());
          if (p == null) {
            if (!schema.path("additionalProperties").isObject()) {
              problems.add(where + "." + e.getKey() + ": not documented");
            }
          } else {
            check(p, e.getValue(), where + "." + e.getKey(), problems);
          }
        }
      }
      case "array" -> {
        if (!value.isArray()) {
          problems.add(where + ": not an array");
          return;
        }
        for (int i = 0; i < value.size(); i++) {
          check(schema.path("items"), value.get(i), where + "[" + i + "]", problems);
        }
      }
      case "string" -> {
        if (!value.isTextual()) {
          problems.add(where + ": " + value + " is not a string");
        } else if ("date-time".equals(schema.path("format").asText())) {
          try {
            Instant.parse(value.asText());
          } catch (DateTimeParseException e) {
            problems.add(where + ": " + value + " is not a date-time");
          }
        }
      }
      case "integer" -> {
        if (!value.isIntegralNumber()) {
          problems.add(where + ": " + value + " is not an integer");
        }
      }
      case "number" -> {
        if (!value.isNumber()) {
          problems.add(where + ": " + value + " is not a number");
        }
      }
      case "boolean" -> {
        if (!value.isBoolean()) {
          problems.add(where + ": " + value + " is not a boolean");
        }
      }
      case "" -> { } // any value
      default -> problems.add(where + ": schema type " + type + " not supported by this checker");
    }
  }
}
