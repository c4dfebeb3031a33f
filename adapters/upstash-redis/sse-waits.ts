/**
 * `upstashSse`: the SSE side of the Upstash adapter, passed in as a module (`sse: upstashSse`)
 * so a bundle that never waits (a Worker that drains, pushes or only publishes) leaves it out.
 * With it, an idle `worker.run()` holds one subscription to the wake channel (./idle-sse.ts)
 * and `get()` holds one to the record's channel (./watch.ts); without it, `run()` polls with
 * back-off (./idle.ts) and `get()` polls the record. The CLI passes it (docs/upstash-redis.md).
 * @module
 */
import type { Redis } from "@upstash/redis";
import type { RecordUpdate } from "../../src/ports.ts";
import type { CallSite } from "./errors.ts";
import type { IdleOptions } from "./idle-options.ts";
import type { IdleWaiter } from "./idle.ts";
import { SseIdleWaiter } from "./idle-sse.ts";
import type { ResultKeys } from "./keys.ts";
import { sseTarget } from "./sse.ts";
import { watchRecords } from "./watch.ts";

/** A backend's `watch`: listen for the records of `ids`; resolves once listening, to a stop function. */
export type RecordWatch = (ids: string[], onChange: (update?: RecordUpdate) => void) => Promise<() => Promise<void>>;

/** What the broker and backend build their waits with (option `sse`; the value is `upstashSse`). */
export interface UpstashSse {
  /** The idle waiter of a broker on `channel`. */
  idle(redis: Redis, channel: string, opts: IdleOptions, now: () => number): IdleWaiter;
  /** The `watch` of a backend; subscriptions are renewed after `lifetimeMs`. */
  watcher(redis: Redis, keys: ResultKeys, site: CallSite, lifetimeMs: number): RecordWatch;
}

/**
 * SSE wake-ups for idle `run()` and record watches for `get()` (see the module doc).
 * @example
 * ```ts
 * import { fromEnv, upstashSse } from "celeriac/adapters/upstash-redis";
 * const { broker, backend } = fromEnv(env, { sse: upstashSse });
 * ```
 */
export const upstashSse: UpstashSse = {
  idle: (redis, channel, opts, now) => new SseIdleWaiter(sseTarget(redis), channel, opts, now),
  watcher: (redis, keys, site, lifetimeMs) => {
    const target = sseTarget(redis);
    return (ids, onChange) => watchRecords(target, keys, site, lifetimeMs, ids, onChange);
  },
};
