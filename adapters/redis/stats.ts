/**
 * The monitor reads of the TCP Redis adapter (the dashboard's data), on the Upstash adapter's
 * layout and scripts: broker counts in one script call, recent records in two commands.
 * @module
 */
import type { Redis } from "ioredis";
import type { BrokerStats } from "../../src/ports.ts";
import type { ResultMeta } from "../../src/types.ts";
import type { BrokerKeys, ResultKeys } from "../upstash-redis/keys.ts";
import { brokerStats, statsCall, statsOf } from "../upstash-redis/lua/mod.ts";
import { runScript } from "./client.ts";
import { guard } from "./errors.ts";

/** `PullBroker.stats` over TCP Redis: one script call. */
export async function redisStats(redis: Redis, keys: BrokerKeys, queues: string[]): Promise<BrokerStats> {
  return statsOf(queues, await runScript(redis, brokerStats, { ...statsCall(keys, queues), args: [] }));
}

/** `ResultBackend.recent` over TCP Redis: ZREVRANGE of the `recent` index, then MGET. */
export function redisRecent(redis: Redis, keys: ResultKeys, limit: number): Promise<ResultMeta[]> {
  return guard("recent", async () => {
    const ids = await redis.zrevrange(keys.recent, 0, Math.max(0, limit - 1));
    if (!ids.length) return [];
    return (await redis.mget(...ids.map((id) => keys.meta(id)))).flatMap((v) => (v == null ? [] : [JSON.parse(v) as ResultMeta]));
  });
}
