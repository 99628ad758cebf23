package org.s3mp.app;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.s3mp.headend.HeadendConfig;
import org.s3mp.headend.auth.ApiToken;
import org.s3mp.headend.auth.Role;
import org.s3mp.headend.auth.TokenStore;
import org.s3mp.headend.storage.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code s3mp token ...}: API tokens of the head-end, stored hashed in its database. */
@Command(
    name = "token",
    mixinStandardHelpOptions = true,
    description = "API tokens of the head-end (roles viewer and operator), stored as SHA-256 in its database.",
    subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand {

  /** Which database: the same options as {@code s3mp headend}. */
  static final class Db {
    @Option(names = "--config", paramLabel = "FILE", description = "The head-end's config file (for its database).")
    Path config;

    @Option(names = "--db", paramLabel = "PATH|JDBC-URL",
        description = "H2 database file (default run/headend/headend) or JDBC URL; overrides the config.")
    String db;

    Database open() {
      HeadendConfig c = HeadendCommand.loadConfig(config, db);
      return Database.open(c.database().url(), c.database().user(), c.database().password());
    }
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a token and print it (only this once; it is stored hashed).")
  static final class Create implements Callable<Integer> {
    @Mixin Db db;

    @Option(names = "--role", required = true, paramLabel = "viewer|operator",
        description = "viewer: read; operator: also disconnect/reconnect/message and meter changes.")
    String role;

    @Option(names = "--name", paramLabel = "NAME", description = "Who uses it (shown in the audit log).")
    String name;

    @Override
    public Integer call() {
      Role r;
      try {
        r = Role.parse(role);
      } catch (IllegalArgumentException e) {
        throw new S3mp.UsageError(e.getMessage());
      }
      try (Database d = db.open()) {
        TokenStore.Created created = new TokenStore(d, Map.of()).create(name, r);
        System.err.println("token " + created.token().id() + " (" + r.label() + ", " + created.token().name()
            + "); store it now, it is not shown again:");
        System.out.println(created.secret());
      }
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
  static final class ListTokens implements Callable<Integer> {
    @Mixin Db db;

    @Override
    public Integer call() {
      try (Database d = db.open()) {
        List<ApiToken> tokens = new TokenStore(d, Map.of()).list();
        System.out.printf("%-12s  %-8s  %-8s  %-24s  %s%n", "ID", "ROLE", "STATE", "CREATED", "NAME");
        for (ApiToken t : tokens) {
          System.out.printf("%-12s  %-8s  %-8s  %-24s  %s%n", t.id(), t.role().label(),
              t.revokedAt() == null ? "valid" : "revoked", t.createdAt().truncatedTo(java.time.temporal.ChronoUnit.SECONDS),
              t.name());
        }
      }
      return 0;
    }
  }

  @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token by its id (see list).")
  static final class Revoke implements Callable<Integer> {
    @Mixin Db db;

    @Parameters(paramLabel = "ID", description = "The token's id.")
    String id;

    @Override
    public Integer call() {
      try (Database d = db.open()) {
        if (!new TokenStore(d, Map.of()).revoke(id)) {
          throw new IllegalArgumentException("no valid token with id " + id);
        }
        System.out.println("revoked " + id);
      }
      return 0;
    }
  }
}
