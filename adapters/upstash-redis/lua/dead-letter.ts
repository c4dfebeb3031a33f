import { defineScript, type DefinedScript } from "./define.ts";

/** Dead-letter: drop a claimed message from `unacked` and keep it, with the reason, in the dead-letter list. */
export const deadLetter: DefinedScript<"unacked" | "unackedIndex" | "dead"> = defineScript({
  name: "dead-letter",
  keys: ["unacked", "unackedIndex", "dead"],
  lua: String.raw`
--[[ dead-letter
  KEYS[1] unacked HASH   KEYS[2] unacked_index ZSET   KEYS[3] dead-letter LIST (newest first)
  ARGV[1] delivery tag   ARGV[2] JSON {payload, queue, reason, at}
  Returns the length of the dead-letter list
  Errors: -1 bad arguments
]]
if #KEYS ~= 3 or #ARGV ~= 2 then return -1 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return redis.call('LPUSH', KEYS[3], ARGV[2])
`,
});
