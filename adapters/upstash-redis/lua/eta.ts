/**
 * `eta_seconds(env)`: a message's `headers.eta` (ISO 8601, naive = UTC) as epoch seconds, or
 * nil. The claim's visibility sweep uses it so that an ETA message a Python worker holds in
 * `unacked` until its ETA is not restored before ETA + visibility (docs/celery-interop.md).
 * @module
 */
export const ETA_LUA: string = String.raw`
local function eta_seconds(env)
  local eta = field(field(env, 'headers'), 'eta')
  if type(eta) ~= 'string' then return nil end
  local y, mo, d, h, mi, s, rest = string.match(eta, '^(%d+)-(%d+)-(%d+)[T ](%d+):(%d+):([%d%.]+)(.*)$')
  if not y then return nil end
  y, mo = tonumber(y), tonumber(mo)
  if mo <= 2 then y = y - 1 end
  local era = math.floor(y / 400)
  local yoe = y - era * 400
  local doy = math.floor((153 * (mo > 2 and mo - 3 or mo + 9) + 2) / 5) + tonumber(d) - 1
  local days = era * 146097 + yoe * 365 + math.floor(yoe / 4) - math.floor(yoe / 100) + doy - 719468
  local t = days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
  local sign, oh, om = string.match(rest, '^([+-])(%d%d):?(%d%d)$')
  if sign then t = t - (sign == '+' and 1 or -1) * (tonumber(oh) * 3600 + tonumber(om) * 60) end
  return t
end
`;
