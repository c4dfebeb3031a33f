import type { BrokerStats } from "../../../src/ports.ts";
import { PRIORITY_STEPS, type BrokerKeys } from "../keys.ts";
import { defineScript, type DefinedScript } from "./define.ts";

// The script's notes, kept out of the Lua text (so out of bundles): brokerStats
//   KEYS[1] delayed ZSET   KEYS[2] unacked HASH   KEYS[3] dead-letter LIST   KEYS[4..] queue LISTs
//   Returns JSON [delayed, unacked, dead, llen(KEYS[4]), ...]
/**
 * Broker stats for a monitor, read atomically in one call: the delayed ZSET's, the `unacked`
 * hash's and the dead-letter list's sizes, then the length of each queue list given.
 */
export const brokerStats: DefinedScript<"delayed" | "unacked" | "dead"> = defineScript({
  name: "brokerStats",
  keys: ["delayed", "unacked", "dead"],
  lua: String.raw`
local out = { redis.call('ZCARD', KEYS[1]), redis.call('HLEN', KEYS[2]), redis.call('LLEN', KEYS[3]) }
for k = 4, #KEYS do out[#out + 1] = redis.call('LLEN', KEYS[k]) end
return cjson.encode(out)
`,
});

/** The key lists of `brokerStats` for `queues` (every priority step of each). */
export function statsCall(keys: BrokerKeys, queues: string[]): { keys: { delayed: string; unacked: string; dead: string }; more: string[] } {
  return {
    keys: { delayed: keys.delayed, unacked: keys.unacked, dead: keys.deadLetters },
    more: queues.flatMap((q) => PRIORITY_STEPS.map((step) => keys.queue(q, step))),
  };
}

/** Turn the script's reply into `BrokerStats`. */
export function statsOf(queues: string[], reply: unknown): BrokerStats {
  const n = Array.isArray(reply) ? reply.map(Number) : [];
  const waiting: Record<string, number> = {};
  queues.forEach((q, i) => {
    waiting[q] = PRIORITY_STEPS.reduce((sum, _s, j) => sum + (n[3 + i * PRIORITY_STEPS.length + j] ?? 0), 0);
  });
  return { waiting, delayed: n[0] ?? 0, unacked: n[1] ?? 0, dead: n[2] ?? 0 };
}
