-- complete: store the result when the fencing token still matches (else count a stale reply),
-- then optionally claim the next tasks in the same round trip.
-- KEYS: pending scheduled active completed defaults stats throughput counters wake taskPrefix leasePrefix eventsPrefix idemPrefix
-- CHANNELS: donePrefix
-- ARGV: 1 id, 2 token, 3 result JSON, 4 claim next (1/0), 5 supervisor id, 6 leaseMs, 7 count
-- Returns: {accepted (1/0), claimed tasks (as claim.lua)}
--@include common
--@include finish
--@include claim-core

local id = A[1]
local tk = Q.taskPrefix .. id
local now = now_ms()
local accepted = 0
local f = redis.call('HMGET', tk, 'state', 'token')
if f[1] == 'active' and f[2] == A[2] then
  redis.call('HDEL', tk, 'error', 'reason')
  finish_task(id, 'completed', now, {'result', A[3]})
  accepted = 1
else
  redis.call('HINCRBY', Q.stats, 'stale', 1)
end
local claimed = {}
if A[4] == '1' then
  promote_due(now)
  claimed = claim_tasks(now, A[5], tonumber(A[6]), tonumber(A[7]))
end
return {accepted, claimed}
