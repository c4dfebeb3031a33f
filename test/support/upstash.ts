/**
 * The Upstash adapter against a real Redis through the local Upstash-compatible dev endpoint,
 * with the official `@upstash/redis` client. Every broker/backend pair gets its own key prefix
 * under one run prefix, and `close()` deletes the run's keys.
 */
import { Redis, type RedisConfigNodejs } from "@upstash/redis";
import { upstashRedisBackend, upstashRedisBroker, upstashSse } from "../../adapters/upstash-redis/mod.ts";
import { startDevServer, type DevServer } from "../../workers/node/dev-server.ts";
import type { Fixture } from "../conformance/harness.ts";
import { deleteByPrefix, ensureRedis, uniquePrefix, type TestRedis } from "./redis.ts";

/** A running endpoint with a real Redis behind it. */
export interface UpstashEnv {
  redisUrl: string;
  server: DevServer;
  /** Prefix of every key this run writes. */
  runPrefix: string;
  /** A fresh client (options are passed to `new Redis`). */
  client(opts?: Partial<RedisConfigNodejs>): Redis;
  /** A fresh key prefix under the run prefix. */
  prefix(name?: string): string;
  close(): Promise<void>;
}

/** Start (or reuse) Redis and a dev endpoint on a free port. */
export async function startUpstash(name: string): Promise<UpstashEnv> {
  const redis: TestRedis = await ensureRedis();
  const server = await startDevServer({ port: 0, redisUrl: redis.url });
  const runPrefix = uniquePrefix(name);
  let n = 0;
  return {
    redisUrl: redis.url,
    server,
    runPrefix,
    client: (opts = {}) => new Redis({ url: server.url, token: server.token, enableTelemetry: false, ...opts }),
    prefix: (label = "p") => `${runPrefix}${label}${++n}:`,
    close: async () => {
      await deleteByPrefix(redis.url, runPrefix);
      await server.close();
      await redis.stop();
    },
  };
}

/**
 * A conformance fixture: `broker()` makes a new prefix, `backend()` reuses the prefix of the most
 * recent `broker()` (how `makeApp`/`pairOf` pair them), so each pair acks and stores results in
 * one request. `env()` is read lazily: cases run after `beforeAll` started the endpoint.
 */
export function upstashFixture(env: () => UpstashEnv): Fixture {
  let client: Redis | undefined;
  let last: string | undefined;
  const redis = (): Redis => (client ??= env().client());
  return {
    name: "upstash-redis",
    broker: (opts) => upstashRedisBroker({ ...opts, sse: upstashSse, redis: redis(), prefix: (last = env().prefix("c")) }),
    backend: () => upstashRedisBackend({ sse: upstashSse, redis: redis(), prefix: last ?? env().prefix("c") }),
  };
}
