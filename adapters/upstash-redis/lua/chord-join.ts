import { defineScript, type DefinedScript } from "./define.ts";

/**
 * Chord join (Celery's `on_chord_part_return` on Redis): record one finished header member in
 * `.j` by index and compare the count with `.s` + `.t`, atomically, so exactly one distinct
 * member sees the chord complete and receives every entry in index order. A member re-joining
 * at an index it holds (redelivered after a failed body publish) receives them again. The keys
 * stay until the core deletes them after sending the body (`chordDone`).
 */
export const chordJoin: DefinedScript<"join" | "size" | "extra"> = defineScript({
  name: "chord-join",
  keys: ["join", "size", "extra"],
  lua: String.raw`
--[[ chord-join
  KEYS[1] celery-taskset-meta-<gid>.j ZSET   KEYS[2] ...s size   KEYS[3] ...t extra members
  ARGV[1] group index   ARGV[2] entry   ARGV[3] ttl in ms (0 = keep forever)
  Returns JSON [entry, ...] in index order when this call completes the chord or re-joins a
  complete one at its own index, else null
  Errors: -1 bad arguments
]]
if #KEYS ~= 3 or #ARGV ~= 3 or not tonumber(ARGV[1]) then return -1 end
-- One entry per index, even when a redelivered member finishes twice.
local rejoin = redis.call('ZCOUNT', KEYS[1], ARGV[1], ARGV[1]) > 0
local before = redis.call('ZCARD', KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[3]) or 0
if ttl > 0 then
  for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ttl) end
end
local size = tonumber(redis.call('GET', KEYS[2]))
if not size then return false end
local total = size + (tonumber(redis.call('GET', KEYS[3])) or 0)
if redis.call('ZCARD', KEYS[1]) < total or (before >= total and not rejoin) then return false end
return cjson.encode(redis.call('ZRANGE', KEYS[1], 0, -1))
`,
});
