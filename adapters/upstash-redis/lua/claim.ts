import { SHARED_LUA } from "./_shared.ts";
import { defineScript, type DefinedScript } from "./define.ts";
import { ETA_LUA } from "./eta.ts";

// The script's notes, kept out of the Lua text (so out of bundles): claim
//   KEYS[1] unacked HASH   KEYS[2] unacked_index ZSET   KEYS[3] delayed ZSET   KEYS[4] revoked ZSET
//   KEYS[5..] queue lists in claim order (for each priority step, for each queue)
//   ARGV[1] now (epoch ms)   ARGV[2] now (epoch s, kombu's unacked_index score)
//   ARGV[3] visibility (s)   ARGV[4] max   ARGV[5] key prefix   ARGV[6] tag nonce
//   ARGV[7..] queue name of each KEYS[5..]
//   Returns JSON [[tag, queue, priority, envelope, redelivered 0|1, revoked 0|1], ...]; when it takes
//   nothing, [dueMs] (the earliest later due time of a delayed message or a claim) or []
//   Errors: -1 bad arguments, -2 unacked/unacked_index of the wrong type
// At `if not raw or (mine[queue] and (eta_seconds(env) or 0) <= cu`: Other queues' consumers restore their own; an ETA message waits for ETA + visibility.
// At `local due, d, u = nil, redis.call('ZRANGE', KEYS[3], 0, 0, '`: Nothing to take: say when the next delayed message or expired claim falls due, if later.
/**
 * Claim: one atomic round trip that promotes due delayed messages, restores expired claims
 * (kombu `restore_visible`: back to the head, marked redelivered; only the claimed queues', and
 * an ETA message not before ETA + visibility) and pops up to `max`
 * messages into `unacked` + `unacked_index`, reporting whether each one's task id is revoked.
 */
export const claim: DefinedScript<"unacked" | "unackedIndex" | "delayed" | "revoked"> = defineScript({
  name: "claim",
  keys: ["unacked", "unackedIndex", "delayed", "revoked"],
  lua: SHARED_LUA + ETA_LUA + String.raw`
if #ARGV ~= #KEYS + 2 then return -1 end
for i, t in ipairs({'hash', 'zset'}) do
  local actual = redis.call('TYPE', KEYS[i]).ok
  if actual ~= 'none' and actual ~= t then return -2 end
end
local now_ms, now_s, max, prefix = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[4]), ARGV[5]
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now_ms, 'LIMIT', 0, 1000)) do
  local raw, queue = unwrap(member)
  if raw then
    redis.call('ZREM', KEYS[3], member)
    redis.call('LPUSH', queue_key(prefix, queue, priority_of(decode(raw))), raw)
  end
end
local cutoff, mine = tonumber(now_s) - tonumber(ARGV[3]), {}
for i = 7, #ARGV do mine[ARGV[i]] = true end
for _, tag in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', cutoff, 'LIMIT', 0, 1000)) do
  local raw, queue = unwrap(redis.call('HGET', KEYS[1], tag) or '')
  local env = raw and decode(raw)
  if not raw or (mine[queue] and (eta_seconds(env) or 0) <= cutoff) then
    redis.call('ZREM', KEYS[2], tag)
    redis.call('HDEL', KEYS[1], tag)
    if raw then redis.call('RPUSH', queue_key(prefix, queue, priority_of(env)), mark_redelivered(raw, env)) end
  end
end
local out, n = {}, 0
for i = 5, #KEYS do
  local popped = max > #out and redis.call('RPOP', KEYS[i], max - #out)
  for _, raw in ipairs(popped or {}) do
    local env, queue = decode(raw), ARGV[i + 2]
    local props, headers = field(env, 'properties'), field(env, 'headers')
    local tag = field(props, 'delivery_tag')
    if type(tag) ~= 'string' or tag == '' or redis.call('HEXISTS', KEYS[1], tag) == 1 then
      n = n + 1
      tag = ARGV[6] .. '.' .. n
    end
    redis.call('HSET', KEYS[1], tag, wrap(raw, env, queue))
    redis.call('ZADD', KEYS[2], now_s, tag)
    local id, revoked = field(headers, 'id'), 0
    local until_ms = type(id) == 'string' and tonumber(redis.call('ZSCORE', KEYS[4], id))
    if until_ms and until_ms > now_ms then revoked = 1 end
    local again = field(headers, 'redelivered') == true or field(field(props, 'delivery_info'), 'redelivered') == true
    out[#out + 1] = {tag, queue, priority_of(env), payload_of(raw, env), again and 1 or 0, revoked}
  end
end
if #out == 0 then
  local due, d, u = nil, redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES'), redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
  if d[2] and tonumber(d[2]) > now_ms then due = tonumber(d[2]) end
  local t = u[2] and (tonumber(u[2]) + tonumber(ARGV[3])) * 1000
  if t and t > now_ms and (not due or t < due) then due = t end
  if due then return string.format('[%d]', math.ceil(due)) end
  return '[]'
end
return cjson.encode(out)
`,
});
