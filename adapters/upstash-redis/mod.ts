/**
 * Upstash Redis (HTTP) as broker and result backend, on kombu's and Celery's exact Redis layout,
 * so Python Celery workers and producers can share the queues and results.
 *
 * @example
 * ```ts
 * import { Redis } from "@upstash/redis";
 * import { Celeriac } from "celeriac";
 * import { upstashRedisBackend, upstashRedisBroker } from "celeriac/adapters/upstash-redis";
 *
 * const redis = new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN });
 * const app = new Celeriac("tasks", { broker: upstashRedisBroker({ redis }), backend: upstashRedisBackend({ redis }) });
 * ```
 * @module
 */
import type { Redis, RedisConfigNodejs } from "@upstash/redis";
import { ConfigError } from "../../src/errors.ts";
import type { DeadLetterLimits } from "../../src/ports.ts";
import type { UpstashIdleOptions } from "./idle-options.ts";
import type { UpstashSse } from "./sse-waits.ts";
import { DEFAULT_TIMEOUT_MS } from "./errors.ts";
import { UpstashRedisBackend } from "./backend.ts";
import { UpstashRedisBroker } from "./broker.ts";
import { Redis as UpstashClient } from "./client.ts";

export { UpstashRedisBackend, upstashRedisBackend, type UpstashRedisBackendOptions } from "./backend.ts";
export { UpstashRedisBroker, upstashRedisBroker, type UpstashRedisBrokerOptions } from "./broker.ts";
export { DEFAULT_TIMEOUT_MS, ScriptCode } from "./errors.ts";
export type { UpstashIdleOptions } from "./idle-options.ts";
export { upstashSse, type RecordWatch, type UpstashSse } from "./sse-waits.ts";
export { brokerKeys, resultKeys, type BrokerKeys, type ResultKeys } from "./keys.ts";

/** Options of `upstashRedis`. */
export interface UpstashRedisOptions {
  /** An `@upstash/redis` client shared by broker and backend. */
  redis: Redis;
  /** Put in front of every key (kombu/Celery `global_keyprefix`). */
  prefix?: string;
  /** Where future-ETA messages wait (see `UpstashRedisBrokerOptions.eta`). */
  eta?: "delayed" | "queue";
  /** Deadline of every broker and backend call in ms (default 10 000). */
  timeoutMs?: number;
  /** Bounds of the dead-letter list (default 10 000 entries, 7 days). */
  deadLetters?: DeadLetterLimits;
  /** DB number in Celery's event channel names (see `UpstashRedisBrokerOptions.db`). */
  db?: number;
  /** How an idle worker waits (see `UpstashIdleOptions`). */
  idle?: UpstashIdleOptions;
  /**
   * `upstashSse`: idle `run()` waits on SSE wake-ups and `get()` on the record's channel instead
   * of polling. Passed in, so bundles that do not import it leave it out; the CLI passes it.
   */
  sse?: UpstashSse;
  /** With `sse`, `get()` waits on an SSE subscription (default true); false polls. */
  watch?: boolean;
}

/** A broker and a result backend on one client: the worker acks and stores results in one request. */
export interface UpstashRedisPair {
  broker: UpstashRedisBroker;
  backend: UpstashRedisBackend;
}

/** Broker and result backend on one Upstash Redis client and prefix. */
export function upstashRedis(opts: UpstashRedisOptions): UpstashRedisPair {
  return { broker: new UpstashRedisBroker(opts), backend: new UpstashRedisBackend(opts) };
}

/** The environment `fromEnv` reads (passed in by the entry point; globals are never read). */
export interface UpstashRedisEnv {
  UPSTASH_REDIS_REST_URL?: string;
  UPSTASH_REDIS_REST_TOKEN?: string;
  /** Key prefix (optional). */
  CELERIAC_REDIS_PREFIX?: string;
}

/** Options of `fromEnv`: client settings passed through to `new Redis(...)`. */
export interface UpstashRedisFromEnvOptions {
  /** Key prefix; overrides `env.CELERIAC_REDIS_PREFIX`. */
  prefix?: string;
  /** Network retries of the client (default 5 with exponential backoff; `false` fails at once). */
  retry?: RedisConfigNodejs["retry"];
  /**
   * Deadline of every call in ms (default 10 000), retries included: each HTTP request of the
   * client is aborted then (unless `redis.signal` is given) and the call fails retryable.
   */
  timeoutMs?: number;
  /** Bounds of the dead-letter list (default 10 000 entries, 7 days). */
  deadLetters?: DeadLetterLimits;
  /** How an idle worker waits (see `UpstashIdleOptions`). */
  idle?: UpstashIdleOptions;
  /** `upstashSse` for SSE waits in `run()` and `get()` (see `UpstashRedisOptions.sse`). */
  sse?: UpstashSse;
  /** Any other client option (`responseEncoding`, `enableAutoPipelining`, `readYourWrites`...). */
  redis?: Omit<RedisConfigNodejs, "url" | "token">;
}

/**
 * Broker and backend from `UPSTASH_REDIS_REST_URL` / `UPSTASH_REDIS_REST_TOKEN` in `env`.
 * @example
 * ```ts
 * export default { fetch: (req, env) => new Celeriac("tasks", fromEnv(env)).worker().fetch(req) };
 * ```
 */
export function fromEnv(env: UpstashRedisEnv, opts: UpstashRedisFromEnvOptions = {}): UpstashRedisPair {
  const url = env.UPSTASH_REDIS_REST_URL;
  const token = env.UPSTASH_REDIS_REST_TOKEN;
  const missing = [!url && "UPSTASH_REDIS_REST_URL", !token && "UPSTASH_REDIS_REST_TOKEN"].filter(Boolean);
  if (missing.length) throw new ConfigError(`[upstash-redis] missing ${missing.join(" and ")} in env`);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const redis = new UpstashClient({
    enableTelemetry: false,
    // A function: the client takes a fresh signal per request and rethrows its abort.
    ...(timeoutMs > 0 && timeoutMs < Infinity ? { signal: () => AbortSignal.timeout(timeoutMs) } : {}),
    ...opts.redis,
    ...(opts.retry !== undefined ? { retry: opts.retry } : {}),
    url: String(url),
    token: String(token),
  });
  return upstashRedis({ redis, prefix: opts.prefix ?? env.CELERIAC_REDIS_PREFIX, timeoutMs, deadLetters: opts.deadLetters, idle: opts.idle, sse: opts.sse });
}
