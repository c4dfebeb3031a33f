import { SHARED_LUA } from "./_shared.ts";
import { defineScript, type DefinedScript } from "./define.ts";

// The script's notes, kept out of the Lua text (so out of bundles): requeue
//   KEYS[1] unacked HASH   KEYS[2] unacked_index ZSET   KEYS[3] delayed ZSET
//   KEYS[4] the list to put the message back on when it is visible now (head = RPUSH)
//   ARGV[1] delivery tag   ARGV[2] visible again at (epoch ms; 0 = now)
//   Returns 1 when requeued, 0 when the tag is no longer claimed
//   Errors: -1 bad arguments
/**
 * Requeue: take a claimed message out of `unacked` and put it back, either at the head of its
 * queue (visible now, like kombu's restore) or in the delayed set until `due` (ETA not reached,
 * rate limited). A message whose claim already expired and was restored is left alone, so a
 * late requeue can never make a second copy.
 */
export const requeue: DefinedScript<"unacked" | "unackedIndex" | "delayed" | "queue"> = defineScript({
  name: "requeue",
  keys: ["unacked", "unackedIndex", "delayed", "queue"],
  lua: SHARED_LUA + String.raw`
if #KEYS ~= 4 or #ARGV ~= 2 then return -1 end
local value = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
if not value then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
local due = tonumber(ARGV[2]) or 0
if due > 0 then
  redis.call('ZADD', KEYS[3], due, value)
  return 1
end
local raw = unwrap(value)
if not raw then return 0 end
redis.call('RPUSH', KEYS[4], raw)
return 1
`,
});
