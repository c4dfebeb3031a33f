import { defineScript, type DefinedScript } from "./define.ts";

/**
 * Lua: drop the entries of a newest-first dead-letter LIST (KEYS[1]) whose `at` (the last
 * field of the JSON entry, an ISO instant, so text order is time order) is before `cutoff`,
 * from the tail, at most 100 per call. Returns how many were dropped.
 */
export const TRIM_EXPIRED_LUA: string = String.raw`
local function trim_expired(key, cutoff)
  local dropped = 0
  if cutoff == '' then return 0 end
  while dropped < 100 do
    local tail = redis.call('LINDEX', key, -1)
    local at = tail and string.match(string.sub(tail, -48), '"at":"([^"]*)"}%s*$')
    if not at or at >= cutoff then break end
    redis.call('RPOP', key)
    dropped = dropped + 1
  end
  return dropped
end
`;

// The script's notes, kept out of the Lua text (so out of bundles): dead-letter
//   KEYS[1] unacked HASH   KEYS[2] unacked_index ZSET   KEYS[3] dead-letter LIST (newest first)
//   ARGV[1] delivery tag   ARGV[2] JSON {payload, queue, reason, at}
//   ARGV[3] max entries (0 = no cap)   ARGV[4] ISO instant before which entries expire ('' = never)
//   ARGV[5] seconds the list lives after its newest entry (0 = forever); ARGV[3..5] may be omitted
//   Returns the length of the dead-letter list
//   Errors: -1 bad arguments
/**
 * Dead-letter: drop a claimed message from `unacked` and keep it, with the reason, in the
 * dead-letter list, which stays bounded: at most `max` entries, none older than `cutoff`, and
 * the key expires `ttl` seconds after its newest entry.
 */
export const deadLetter: DefinedScript<"unacked" | "unackedIndex" | "dead"> = defineScript({
  name: "dead-letter",
  keys: ["unacked", "unackedIndex", "dead"],
  lua: TRIM_EXPIRED_LUA + String.raw`
if #KEYS ~= 3 or (#ARGV ~= 2 and #ARGV ~= 5) then return -1 end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
local n = redis.call('LPUSH', KEYS[3], ARGV[2])
local max, ttl = tonumber(ARGV[3]) or 0, tonumber(ARGV[5]) or 0
if max > 0 and n > max then
  redis.call('LTRIM', KEYS[3], 0, max - 1)
  n = max
end
n = n - trim_expired(KEYS[3], ARGV[4] or '')
if ttl > 0 then redis.call('EXPIRE', KEYS[3], ttl) end
return n
`,
});
