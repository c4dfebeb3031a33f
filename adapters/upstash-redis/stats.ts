/**
 * The monitor reads of the Upstash adapter (the dashboard's data): broker counts in one script
 * call, recent task records in two requests (ZREVRANGE of the `recent` index, then MGET).
 * @module
 */
import type { Redis } from "@upstash/redis";
import type { BrokerStats } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";
import { guard, type CallSite } from "./errors.ts";
import type { BrokerKeys, ResultKeys } from "./keys.ts";
import { brokerStats, statsCall, statsOf } from "./lua/mod.ts";

/** `PullBroker.stats` over Upstash: one request. */
export async function upstashStats(redis: Redis, keys: BrokerKeys, queues: string[], site?: CallSite): Promise<BrokerStats> {
  return statsOf(queues, await brokerStats.run(redis, { ...statsCall(keys, queues), args: [] }, site));
}

/** `ResultBackend.recent` over Upstash: two requests (none when the index is empty). */
export function upstashRecent(redis: Redis, keys: ResultKeys, limit: number, site?: CallSite): Promise<ResultMeta[]> {
  return guard("recent", async () => {
    const ids = await redis.zrange<string[]>(keys.recent, 0, Math.max(0, limit - 1), { rev: true });
    if (!ids.length) return [];
    const raw = await redis.mget<unknown[]>(...ids.map((id) => keys.meta(String(id))));
    return raw.flatMap((v) => (v == null ? [] : [(typeof v === "string" ? JSON.parse(v) : v) as ResultMeta]));
  }, site);
}
