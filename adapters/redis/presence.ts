/**
 * Worker presence records (`ResultBackend.recordWorker` / `workers`) on Redis: one key
 * `<prefix>celeriac-worker-<hostname>` per worker (JSON `WorkerInfo`, expiring after `ttlMs`),
 * indexed in the sorted set `<prefix>celeriac-workers` by expiry. The Upstash adapter keeps the
 * same keys, so a dashboard on either adapter lists workers of both.
 * @module
 */
import type { Redis } from "ioredis";
import type { WorkerInfo } from "../../src/ports.ts";
import { guard } from "./errors.ts";

/** The key of a worker's record and the index of records. */
export const presenceKeys = (prefix: string) => ({
  worker: (hostname: string) => `${prefix}celeriac-worker-${hostname}`,
  index: `${prefix}celeriac-workers`,
});

/** SET PX the record, ZADD it to the index and drop expired index entries, in one MULTI. */
export function recordWorkerOn(redis: Redis, prefix: string, info: WorkerInfo, ttlMs: number, now = Date.now()): Promise<void> {
  const k = presenceKeys(prefix);
  return guard("recordWorker", async () => {
    await redis.multi().set(k.worker(info.hostname), JSON.stringify(info), "PX", Math.max(1, Math.ceil(ttlMs)))
      .zadd(k.index, now + ttlMs, info.hostname).zremrangebyscore(k.index, "-inf", now).exec();
  });
}

/** The records not expired yet. */
export function workersOn(redis: Redis, prefix: string, now = Date.now()): Promise<WorkerInfo[]> {
  const k = presenceKeys(prefix);
  return guard("workers", async () => {
    const names = await redis.zrangebyscore(k.index, now, "+inf");
    if (!names.length) return [];
    const raw = await redis.mget(...names.map(k.worker));
    return raw.filter((v): v is string => v != null).map((v) => JSON.parse(v) as WorkerInfo);
  });
}
