import { defineScript, type DefinedScript } from "./define.ts";

/**
 * Settle: acknowledge deliveries (kombu: `ZREM unacked_index` + `HDEL unacked`) and store result
 * records the way Celery's Redis backend does (`SET` with expiry + `PUBLISH` on the key's
 * channel), never overwriting a stored SUCCESS. The result backend calls it with no tags.
 */
export const settle: DefinedScript<"unacked" | "unackedIndex"> = defineScript({
  name: "settle",
  keys: ["unacked", "unackedIndex"],
  lua: String.raw`
--[[ settle
  KEYS[1] unacked HASH   KEYS[2] unacked_index ZSET   KEYS[3..] celery-task-meta-<id> of each record
  ARGV[1] number of tags n   ARGV[2..n+1] delivery tags
  ARGV[n+2..] per record: JSON record, ttl in ms (0 = keep forever)
  Returns the number of records written (a stored SUCCESS is left alone)
  Errors: -1 bad arguments
]]
local n = tonumber(ARGV[1])
if not n or #ARGV ~= 1 + n + 2 * (#KEYS - 2) then return -1 end
for i = 2, n + 1, 500 do
  local last = math.min(i + 499, n + 1)
  redis.call('ZREM', KEYS[2], unpack(ARGV, i, last))
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, last))
end
local written = 0
for k = 3, #KEYS do
  local value, ttl = ARGV[n + 2 * (k - 3) + 2], tonumber(ARGV[n + 2 * (k - 3) + 3])
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
  end
end
return written
`,
});
