-- extend-leases: heartbeat for every active task of one queue held by a supervisor. A lease
-- is renewed only when the task is still active with the same fencing token.
-- KEYS: active taskPrefix
-- CHANNELS: (none)
-- ARGV: 1 leaseMs, then pairs of (id, token)
-- Returns: {lost ids, ids whose cancel was requested}
--@include common

local now = now_ms()
local lease_ms = tonumber(A[1])
if not lease_ms or lease_ms < 1 then
  return redis.error_reply('DROVER_BAD_ARG leaseMs must be a positive integer, got ' .. tostring(A[1]))
end
local lost, cancel = {}, {}
for i = 2, #A, 2 do
  local id = A[i]
  local tk = Q.taskPrefix .. id
  local f = redis.call('HMGET', tk, 'state', 'token', 'cancelRequested')
  if f[1] == 'active' and f[2] == A[i + 1] then
    redis.call('ZADD', Q.active, fmt(now + lease_ms), id)
    redis.call('HSET', tk, 'leaseUntil', fmt(now + lease_ms))
    if f[3] == '1' then cancel[#cancel + 1] = id end
  else
    lost[#lost + 1] = id
  end
end
return {lost, cancel}
