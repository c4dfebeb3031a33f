/**
 * Worker presence records (`ResultBackend.recordWorker` / `workers`) over Upstash, on the same
 * keys as the TCP adapter (adapters/redis/presence.ts): `<prefix>celeriac-worker-<hostname>`
 * (JSON, PX `ttlMs`) indexed by expiry in `<prefix>celeriac-workers`. The writes are separate
 * commands issued together, so auto-pipelining sends them with the batch's ack.
 * @module
 */
import type { Redis } from "@upstash/redis";
import type { WorkerInfo } from "../../src/ports.ts";
import { guard, type CallSite } from "./errors.ts";

const keysOf = (prefix: string) => ({
  worker: (hostname: string) => `${prefix}celeriac-worker-${hostname}`,
  index: `${prefix}celeriac-workers`,
});

/** SET PX the record, ZADD it to the index, drop expired index entries. */
export function recordWorkerOn(redis: Redis, prefix: string, info: WorkerInfo, ttlMs: number, site?: CallSite, now = Date.now()): Promise<void> {
  const k = keysOf(prefix);
  return guard("recordWorker", async () => {
    await Promise.all([
      redis.set(k.worker(info.hostname), JSON.stringify(info), { px: Math.max(1, Math.ceil(ttlMs)) }),
      redis.zadd(k.index, { score: now + ttlMs, member: info.hostname }),
      redis.zremrangebyscore(k.index, "-inf", now),
    ]);
  }, site);
}

/** The records not expired yet (two requests: the index, then the records). */
export function workersOn(redis: Redis, prefix: string, site?: CallSite, now = Date.now()): Promise<WorkerInfo[]> {
  const k = keysOf(prefix);
  return guard("workers", async () => {
    const names = await redis.zrange<string[]>(k.index, now, "+inf", { byScore: true });
    if (!names.length) return [];
    const raw = await redis.mget<unknown[]>(...names.map(String).map(k.worker));
    return raw.filter((v) => v != null).map((v) => (typeof v === "string" ? JSON.parse(v) : v) as WorkerInfo);
  }, site);
}
