-- list-supervisors: supervisors whose heartbeat has not expired. Read-only.
-- KEYS: registry infoPrefix
-- CHANNELS: (none)
-- ARGV: (none)
-- Returns: {now, id, info JSON, expiry, id, info JSON, expiry, ...}
--@include common

local now = now_ms()
local out = {fmt(now)}
local entries = redis.call('ZRANGEBYSCORE', Q.registry, '(' .. fmt(now), '+inf', 'WITHSCORES')
for i = 1, #entries, 2 do
  local info = redis.call('GET', Q.infoPrefix .. entries[i])
  if info then
    out[#out + 1] = entries[i]
    out[#out + 1] = info
    out[#out + 1] = entries[i + 1]
  end
end
return out
