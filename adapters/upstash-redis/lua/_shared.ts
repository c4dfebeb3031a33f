/**
 * Lua helpers shared by several scripts (concatenated in front of them; no include machinery).
 * Envelopes are never decoded and re-encoded: Redis' cjson turns `[]` into `{}` and rounds
 * numbers to 14 digits, so a message keeps its exact bytes and the `redelivered` flags are
 * inserted as text, the way kombu's value would look after `restore_visible`.
 * @module
 */
import { LUA_QUEUE_KEY } from "../keys.ts";

// The script's notes, kept out of the Lua text (so out of bundles):
// At `local function payload_of(raw, env)`: A payload that is not a kombu envelope of its task id travels as {headers: {id}, properties: {priority}, celeriac_payload}.
// At `local function wrap(raw, env, queue)`: kombu's unacked value [envelope, exchange, routing_key], envelope kept byte for byte.
// At `local function unwrap(value)`: The envelope text and queue of a wrapped value (nil when it is not one).
/** `field`, `decode`, `payload_of`, `priority_of`, `wrap`, `unwrap`, `mark_redelivered`, `queue_key`. */
export const SHARED_LUA: string = String.raw`
local function field(t, k)
  if type(t) == 'table' then return t[k] end
  return nil
end
local function decode(raw)
  local ok, v = pcall(cjson.decode, raw)
  if ok and type(v) == 'table' then return v end
  return nil
end
local function payload_of(raw, env)
  local inner = field(env, 'celeriac_payload')
  if type(inner) == 'string' then return inner end
  return raw
end
local function priority_of(env)
  return tonumber(field(field(env, 'properties'), 'priority')) or 0
end
local function wrap(raw, env, queue)
  if env and string.find(raw, '^%s*{') then
    local ex = field(field(field(env, 'properties'), 'delivery_info'), 'exchange')
    if type(ex) ~= 'string' then ex = '' end
    return '[' .. raw .. ', ' .. cjson.encode(ex) .. ', ' .. cjson.encode(queue) .. ']'
  end
  return cjson.encode({raw, '', queue})
end
local function unwrap(value)
  local v = decode(value)
  if not v or type(v[3]) ~= 'string' then return nil end
  if type(v[1]) == 'string' then return v[1], v[3] end
  local raw = string.match(value, '^%s*%[%s*(.-})%s*,%s*"[^"]*"%s*,%s*"[^"]*"%s*%]%s*$')
  return (raw or cjson.encode(v[1])), v[3]
end
local function flag(raw, key)
  local _, e = string.find(raw, '"' .. key .. '"%s*:%s*{')
  if not e then return raw end
  local rest = string.sub(raw, e + 1)
  return string.sub(raw, 1, e) .. '"redelivered": true' .. (string.find(rest, '^%s*}') and '' or ', ') .. rest
end
local function mark_redelivered(raw, env)
  if not env then return raw end
  if field(field(env, 'headers'), 'redelivered') ~= true then raw = flag(raw, 'headers') end
  if field(field(field(env, 'properties'), 'delivery_info'), 'redelivered') ~= true then raw = flag(raw, 'delivery_info') end
  return raw
end
${LUA_QUEUE_KEY}`;

/**
 * What goes on a queue list for `payload`: the payload itself when it is a kombu envelope of task
 * `id` (every message the core builds), else a small envelope carrying the id, so revocation and
 * the redelivered flag work for any payload (Lua `payload_of` unwraps it on claim).
 */
export function listEntry(payload: string, id: string, priority: number): string {
  if (payload.startsWith("{") && payload.includes(`"id":${JSON.stringify(id)}`)) return payload;
  return JSON.stringify({ headers: { id }, properties: { priority }, celeriac_payload: payload });
}

/**
 * The TS twin of Lua `wrap` for messages we publish ourselves (exchange ""): kombu's
 * `[envelope, exchange, routing_key]` with the envelope embedded as is.
 */
export function wrapEnvelope(payload: string, queue: string): string {
  if (/^\s*\{/.test(payload) && /\}\s*$/.test(payload)) return `[${payload}, "", ${JSON.stringify(queue)}]`;
  return JSON.stringify([payload, "", queue]);
}
