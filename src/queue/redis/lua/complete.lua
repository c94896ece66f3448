-- complete: store the result when the fencing token still matches (else count a stale reply),
-- then optionally claim the next tasks in the same round trip. A second run for an attempt
-- that this script already completed (same token, recorded in finishedToken / finishedAs) is
-- accepted again without changing or counting anything: a re-sent command whose reply was lost.
-- The claim of the next tasks is idempotent with a request id (see claim_once in claim-core).
-- KEYS: pending scheduled active completed defaults stats throughput counters wake taskPrefix leasePrefix eventsPrefix idemPrefix claimReqPrefix
-- CHANNELS: donePrefix
-- ARGV: 1 id, 2 token, 3 result JSON, 4 claim next (1/0), 5 supervisor id, 6 leaseMs, 7 count,
--       8 request id of the claim ('' = none)
-- Returns: {accepted (1/0), claimed tasks (as claim.lua)}
--@include common
--@include finish
--@include claim-core

local id = A[1]
local tk = Q.taskPrefix .. id
local claim_next = A[4] == '1'
local request_id = A[8] or ''
local stored = false
if claim_next then
  local bad
  bad, stored = check_claim_request(A[5], request_id)
  if bad then return bad end
end
local now = now_ms()
local accepted = 0
local f = redis.call('HMGET', tk, 'state', 'token', 'finishedToken', 'finishedAs', 'idem', 'resultTtlMs')
if f[1] == 'active' and f[2] == A[2] then
  finish_task(id, 'completed', now, {'result', A[3], 'finishedToken', A[2], 'finishedAs', 'completed'},
    {idem = f[5], resultTtlMs = f[6], hdel = {'error', 'reason'}})
  accepted = 1
elseif f[3] == A[2] and f[4] == 'completed' then
  accepted = 1 -- already completed by this attempt: a replay
else
  redis.call('HINCRBY', Q.stats, 'stale', 1)
end
local claimed = {}
if claim_next then
  claimed = claim_once(now, A[5], tonumber(A[6]), tonumber(A[7]), request_id, stored)
end
return {accepted, claimed}
