import { SHARED_LUA } from "./_shared.ts";
import { TRIM_EXPIRED_LUA } from "./dead-letter.ts";
import { defineScript, type DefinedScript } from "./define.ts";

// The script's notes, kept out of the Lua text (so out of bundles): redrive
//   KEYS[1] dead-letter LIST (newest first, JSON {payload, queue, reason, priority, at})
//   ARGV[1] key prefix   ARGV[2] move at most this many   ARGV[3] only this queue ('' = any)
//   ARGV[4] ISO instant before which entries expire ('' = never)
//   Returns the number of messages put back
//   Errors: -1 bad arguments
// At `local chunk = redis.call('LRANGE', KEYS[1], -(skipped + 100)`: The oldest entries not yet looked at: the skipped ones stay at the tail.
// At `if not field(env, 'headers') then`: Not a kombu envelope: wrapped as the broker's publish does, so claim reports the priority.
/**
 * Redrive: move dead letters back onto their queues, oldest first, each envelope byte for byte
 * at the tail of the list of its queue and priority (LPUSH, as a producer would). Expired
 * entries are dropped first; entries of other queues (with a queue filter) stay in order.
 */
export const redrive: DefinedScript<"dead"> = defineScript({
  name: "redrive",
  keys: ["dead"],
  lua: SHARED_LUA + TRIM_EXPIRED_LUA + String.raw`
if #KEYS ~= 1 or #ARGV ~= 4 or not tonumber(ARGV[2]) then return -1 end
local prefix, limit, only = ARGV[1], tonumber(ARGV[2]), ARGV[3]
trim_expired(KEYS[1], ARGV[4])
local moved, skipped = 0, 0
while moved < limit do
  local chunk = redis.call('LRANGE', KEYS[1], -(skipped + 100), -(skipped + 1))
  if #chunk == 0 then break end
  for i = #chunk, 1, -1 do
    if moved >= limit then break end
    local raw = chunk[i]
    local entry = decode(raw)
    local payload, queue = field(entry, 'payload'), field(entry, 'queue')
    if type(payload) == 'string' and type(queue) == 'string' and (only == '' or queue == only) then
      local env = decode(payload)
      local priority = tonumber(field(entry, 'priority')) or priority_of(env)
      if not field(env, 'headers') then
        payload = cjson.encode({headers = {}, properties = {priority = priority}, celeriac_payload = payload})
      end
      redis.call('LREM', KEYS[1], -1, raw)
      redis.call('LPUSH', queue_key(prefix, queue, priority), payload)
      moved = moved + 1
    else
      skipped = skipped + 1
    end
  end
  if #chunk < 100 then break end
end
return moved
`,
});
