-- claim: promote due scheduled tasks, then pop up to `count` pending tasks (highest priority
-- first, FIFO within a priority) and lease them (state active, fencing token, lease key).
-- KEYS: pending scheduled active counters wake taskPrefix leasePrefix
-- CHANNELS: (none)
-- ARGV: 1 supervisor id, 2 leaseMs, 3 count
-- Returns: a list of claimed tasks, each {id, payload, type, retryCount, maxRetry, timeoutMs,
--          meta, token, leaseExpiresAt, enqueuedAt, startedAt, attempts} (see claim-core).
--@include common
--@include claim-core

local lease_ms, count = tonumber(A[2]), tonumber(A[3])
if not lease_ms or lease_ms < 1 then
  return redis.error_reply('DROVER_BAD_ARG leaseMs must be a positive integer, got ' .. tostring(A[2]))
end
if not count or count < 1 then
  return redis.error_reply('DROVER_BAD_ARG count must be a positive integer, got ' .. tostring(A[3]))
end
local now = now_ms()
promote_due(now)
return claim_tasks(now, A[1], lease_ms, count)
