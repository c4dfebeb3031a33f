/**
 * `fromEnv(env)`: broker and backend from a Worker's bindings. Results (and, without a Queue
 * binding, the queue too) live in Upstash Redis (`UPSTASH_REDIS_REST_URL`/`_TOKEN`).
 * @module
 */
import { cloudflareQueuesBroker, type QueueProducer } from "../../adapters/cloudflare-queues/broker.ts";
import { fromEnv as upstashFromEnv, type UpstashRedisEnv } from "../../adapters/upstash-redis/mod.ts";
import { ConfigError } from "../../src/errors.ts";
import type { Broker, ResultBackend } from "../../src/ports.ts";

/** A Worker's env: Upstash credentials plus any bindings. */
export interface CloudflareEnv extends UpstashRedisEnv {
  [binding: string]: unknown;
}

/** Options of `fromEnv`. */
export interface CloudflareFromEnvOptions {
  /** Queue producer binding(s): `"JOBS"` for every Celery queue, or `{ celery: "JOBS", media: "MEDIA" }`. */
  queues?: string | Record<string, string>;
}

/** `{ broker, backend }` for `new Celeriac(name, fromEnv(env, { queues: "JOBS" }))`. */
export function fromEnv(env: CloudflareEnv, opts: CloudflareFromEnvOptions = {}): { broker: Broker; backend: ResultBackend } {
  const pair = upstashFromEnv(env);
  if (!opts.queues) return pair;
  const binding = (name: string): QueueProducer => {
    const b = env[name] as QueueProducer | undefined;
    if (typeof b?.sendBatch !== "function") throw new ConfigError(`[cloudflare] env.${name} is not a Queue producer binding (wrangler.toml [[queues.producers]])`);
    return b;
  };
  const queues = typeof opts.queues === "string"
    ? binding(opts.queues)
    : Object.fromEntries(Object.entries(opts.queues).map(([q, name]) => [q, binding(name)]));
  return { broker: cloudflareQueuesBroker({ queues }), backend: pair.backend };
}
