import { defineScript, type DefinedScript } from "./define.ts";

// The script's notes, kept out of the Lua text (so out of bundles): settle
//   KEYS[1] unacked HASH   KEYS[2] unacked_index ZSET   KEYS[3] recent ZSET
//   KEYS[4..] celery-task-meta-<id> of each record
//   ARGV[1] number of tags n   ARGV[2..n+1] delivery tags
//   ARGV[n+2..#ARGV-2] per record: JSON record, ttl in ms (0 = keep forever)
//   ARGV[#ARGV-1] epoch ms (the recent index's score)   ARGV[#ARGV] cap of the recent index (0 = do not index)
//   Returns the number of records written (a stored SUCCESS is left alone)
//   Errors: -1 bad arguments
// At `local skip = #KEYS[3] - #'_celeriac.recent' + #'celery-task-`: the record keys are <prefix>celery-task-meta-<id> and KEYS[3] is <prefix>_celeriac.recent
/**
 * Settle: acknowledge deliveries (kombu: `ZREM unacked_index` + `HDEL unacked`) and store result
 * records the way Celery's Redis backend does (`SET` with expiry + `PUBLISH` on the key's
 * channel), never overwriting a stored SUCCESS. The result backend calls it with no tags.
 * Each written id also goes into celeriac's `recent` ZSET (score: the caller's time in ms, an
 * argument: Upstash wants scripts deterministic), trimmed to the newest `cap` ids: what the
 * dashboard lists, at no extra request per task.
 */
export const settle: DefinedScript<"unacked" | "unackedIndex" | "recent"> = defineScript({
  name: "settle",
  keys: ["unacked", "unackedIndex", "recent"],
  lua: String.raw`
local n = tonumber(ARGV[1])
if not n or #ARGV ~= 3 + n + 2 * (#KEYS - 3) then return -1 end
local at, cap = ARGV[#ARGV - 1], tonumber(ARGV[#ARGV]) or 0
for i = 2, n + 1, 500 do
  local last = math.min(i + 499, n + 1)
  redis.call('ZREM', KEYS[2], unpack(ARGV, i, last))
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, last))
end
local written, recent = 0, {}
local skip = #KEYS[3] - #'_celeriac.recent' + #'celery-task-meta-'
for k = 4, #KEYS do
  local value, ttl = ARGV[n + 2 * (k - 4) + 2], tonumber(ARGV[n + 2 * (k - 4) + 3])
  local current = redis.call('GET', KEYS[k])
  local ok, stored = pcall(cjson.decode, current or 'null')
  if not (ok and type(stored) == 'table' and stored.status == 'SUCCESS') then
    if ttl and ttl > 0 then
      redis.call('SET', KEYS[k], value, 'PX', ttl)
    else
      redis.call('SET', KEYS[k], value)
    end
    redis.call('PUBLISH', KEYS[k], value)
    written = written + 1
    recent[#recent + 1] = at
    recent[#recent + 1] = string.sub(KEYS[k], skip + 1)
  end
end
if cap > 0 and #recent > 0 then
  for i = 1, #recent, 1000 do redis.call('ZADD', KEYS[3], unpack(recent, i, math.min(i + 999, #recent))) end
  redis.call('ZREMRANGEBYRANK', KEYS[3], 0, -(cap + 1))
end
return written
`,
});
