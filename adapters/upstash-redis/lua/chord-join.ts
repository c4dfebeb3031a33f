import { defineScript, type DefinedScript } from "./define.ts";

// The script's notes, kept out of the Lua text (so out of bundles): chord-join
//   KEYS[1] celery-taskset-meta-<gid>.j ZSET   KEYS[2] ...s size   KEYS[3] ...t extra members
//   KEYS[4] ...f firer: the index of the member that completed the join, or "done"
//   ARGV[1] group index   ARGV[2] entry   ARGV[3] ttl in ms (0 = keep forever)
//   Returns JSON [entry, ...] in index order to the call that completes the chord and to the
//   firer re-joining while the join exists, else null
//   Errors: -1 bad arguments
// At `redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])`: One entry per index, even when a redelivered member finishes twice.
/**
 * Chord join (Celery's `on_chord_part_return` on Redis): record one finished header member in
 * `.j` by index and compare the count with `.s` + `.t`, atomically. The call that completes the
 * chord becomes its firer: its index goes into `.f` in the same step, so exactly one member ever
 * receives the entries, however many are redelivered and re-join at once. The firer re-joining
 * (redelivered after a crash or a failed body publish) receives them again; `chordDone` (`.f`
 * = `done`) ends the chord, after which a late member records nothing, so no `.j` is left behind.
 */
export const chordJoin: DefinedScript<"join" | "size" | "extra" | "fired"> = defineScript({
  name: "chord-join",
  keys: ["join", "size", "extra", "fired"],
  lua: String.raw`
if #KEYS ~= 4 or #ARGV ~= 3 or not tonumber(ARGV[1]) then return -1 end
local fired = redis.call('GET', KEYS[4])
if fired then
  if fired == ARGV[1] and redis.call('EXISTS', KEYS[1]) == 1 then
    return cjson.encode(redis.call('ZRANGE', KEYS[1], 0, -1))
  end
  return false
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3]) or 0
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
local size = tonumber(redis.call('GET', KEYS[2]))
if not size then return false end
local total = size + (tonumber(redis.call('GET', KEYS[3])) or 0)
if redis.call('ZCARD', KEYS[1]) < total then return false end
if ttl > 0 then redis.call('SET', KEYS[4], ARGV[1], 'PX', ttl) else redis.call('SET', KEYS[4], ARGV[1]) end
return cjson.encode(redis.call('ZRANGE', KEYS[1], 0, -1))
`,
});
