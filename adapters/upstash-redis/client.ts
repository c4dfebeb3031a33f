/**
 * The `@upstash/redis` client class, imported here only: it is an optional peer dependency, so a
 * missing install surfaces as a `ConfigError` naming the package instead of a bare module-not-found.
 * The import is a literal, so bundlers (wrangler/esbuild, Vite) still include the client.
 * @module
 */
import type * as UpstashRedis from "@upstash/redis";
import { ConfigError } from "../../src/errors.ts";

let mod: typeof UpstashRedis;
try {
  mod = await import("@upstash/redis");
} catch (err) {
  const text = String((err as Error)?.message ?? err);
  if (!/@upstash\/redis/.test(text) || !/not found|cannot find|resolve|not a dependency|not prefixed/i.test(text)) throw err;
  throw new ConfigError(
    "[upstash-redis] celeriac/adapters/upstash-redis needs the @upstash/redis client, an optional peer " +
      "dependency that is not installed: npm install @upstash/redis (bun add @upstash/redis; Deno: deno add npm:@upstash/redis)",
    { cause: err },
  );
}

/** `Redis` from `@upstash/redis`. */
export const Redis: typeof UpstashRedis.Redis = mod.Redis;
