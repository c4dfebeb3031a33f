/**
 * The `@upstash/redis` client class, imported here only: it is an optional peer dependency, so a
 * missing install surfaces as a `ConfigError` naming the package instead of a bare module-not-found.
 * The import is a literal, so bundlers (wrangler/esbuild, Vite) still include the client. It is
 * the package's fetch-only `/cloudflare` build on every runtime: the same `Redis` class and
 * commands, without the Node entry's search-index helpers (~0.6 KiB gzip less in a Worker).
 * @module
 */
import type * as UpstashRedis from "@upstash/redis/cloudflare";
import { ConfigError } from "../../src/errors.ts";

let mod: typeof UpstashRedis;
try {
  mod = await import("@upstash/redis/cloudflare");
} catch (err) {
  const text = String((err as Error)?.message ?? err);
  if (!/@upstash\/redis/.test(text) || !/not found|cannot find|resolve|not a dependency|not prefixed/i.test(text)) throw err;
  throw new ConfigError(
    "[upstash-redis] celeriac/adapters/upstash-redis needs the @upstash/redis client, an optional peer " +
      "dependency that is not installed: npm install @upstash/redis (bun add @upstash/redis; Deno: deno add npm:@upstash/redis)",
    { cause: err },
  );
}

/** `Redis` from `@upstash/redis/cloudflare` (a subclass of the same base `Redis` as the Node entry's). */
export const Redis: typeof UpstashRedis.Redis = mod.Redis;
