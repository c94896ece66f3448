-- claim: promote due scheduled tasks, then pop up to `count` pending tasks (highest priority
-- first, FIFO within a priority) and lease them (state active, fencing token, active-set entry).
-- With a request id, a second run with the same id (a re-sent command whose reply was lost)
-- returns the tasks of the first run instead of claiming again (see claim_once in claim-core).
-- KEYS: pending pendingList scheduled active counters wake taskPrefix claimReqPrefix idle
-- CHANNELS: (none)
-- ARGV: 1 supervisor id, 2 leaseMs, 3 count, 4 request id ('' = none), 5 idle ms ('' or absent =
--       none): when the claim drains the queue and the caller will block, register it in Q.idle
--       for that long, for as many tasks as it asked more than it got, so that enqueues hand
--       it the next ones (dispatch.lua)
-- Returns: a list of claimed tasks, each {id, payload, type, retryCount, maxRetry, timeoutMs,
--          meta, token, leaseExpiresAt, enqueuedAt, startedAt, attempts} (see claim-core),
--          followed, when the claim left nothing pending, by one integer: what a wake-peek
--          would answer next (drained_wait: 0 = a scheduled task is due now, else the ms until
--          the next one or -1; stale wake tokens dropped), so the supervisor can block at once.
--@include common
--@include claim-core
--@include dispatch

local lease_ms, count = tonumber(A[2]), tonumber(A[3])
if not lease_ms or lease_ms < 1 then
  return redis.error_reply('DROVER_BAD_ARG leaseMs must be a positive integer, got ' .. tostring(A[2]))
end
if not count or count < 1 then
  return redis.error_reply('DROVER_BAD_ARG count must be a positive integer, got ' .. tostring(A[3]))
end
local request_id = A[4] or ''
local bad, stored = check_claim_request(A[1], request_id)
if bad then return bad end
local now = now_ms()
local rows, drained = claim_once(now, A[1], lease_ms, count, request_id, stored)
if drained then
  local wait = drained_wait(now)
  local idle_ms = tonumber(A[5] or '')
  if wait ~= 0 and idle_ms then register_idle(now, A[1], lease_ms, idle_ms, count - (#rows)) end
  rows[#rows + 1] = wait
end
return rows
