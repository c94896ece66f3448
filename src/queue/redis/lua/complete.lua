-- complete: store the result when the fencing token still matches (else count a stale reply),
-- then optionally claim the next tasks in the same round trip. A second run for an attempt
-- that this script already completed (same token, recorded in finishedToken / finishedAs) is
-- accepted again without changing or counting anything: a re-sent command whose reply was lost.
-- The claim of the next tasks is idempotent with a request id: on the hot path (the completion
-- is accepted) what it claimed is recorded on the completed task (claimRec, see claim_record),
-- so a replay answers from there; otherwise it goes through claim_once's own record.
-- KEYS: pending pendingList scheduled active completed defaults stats throughput counters wake taskPrefix eventsPrefix idemPrefix claimReqPrefix
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: 1 id, 2 token, 3 result JSON, 4 claim next (1/0), 5 supervisor id, 6 leaseMs, 7 count,
--       8 request id of the claim ('' = none)
-- Returns: {accepted (1/0), claimed tasks (as claim.lua)}
--@include common
--@include finish
--@include claim-core

local id = A[1]
local tk = Q.taskPrefix .. id
local claim_next = A[4] == '1'
local owner, lease_ms, count = A[5], tonumber(A[6]), tonumber(A[7])
local request_id = A[8] or ''
if claim_next and request_id ~= '' then
  local bad = bad_request_id(request_id)
  if bad then return bad end
end
local now = now_ms()
local f = redis.call('HMGET', tk, 'state', 'token', 'finishedToken', 'finishedAs', 'idem', 'resultTtlMs',
  'reason', 'ev', 'claimRec', 'notify')

if f[1] == 'active' and f[2] == A[2] then
  -- Claim first, so that the record of what was claimed rides on the finishing HSET.
  local claimed = {}
  local fields = {'result', A[3], 'finishedToken', A[2], 'finishedAs', 'completed'}
  if claim_next then
    -- Wakeups cascade from claims of woken supervisors (claim.lua) and from enqueues; a busy
    -- supervisor's claim-next wakes a peer only for tasks it just promoted, which no enqueue
    -- announced. Saves two reads per task at full load.
    local promoted = promote_due(now)
    claimed = claim_tasks(now, owner, lease_ms, count, promoted > 0)
    if request_id ~= '' then
      fields[#fields + 1] = 'claimRec'
      fields[#fields + 1] = claim_record(request_id, claimed)
    end
  end
  local hdel = nil
  if f[7] then hdel = {'error', 'reason'} end -- left by an earlier attempt
  finish_task(id, 'completed', now, fields, {idem = f[5], resultTtlMs = f[6], events = f[8], notify = f[10], hdel = hdel,
    result = A[3]})
  return {1, claimed}
end

local accepted = 0
if f[3] == A[2] and f[4] == 'completed' then
  accepted = 1 -- already completed by this attempt: a replay
else
  redis.call('HINCRBY', Q.stats, 'stale', 1)
end
local claimed = {}
if claim_next then
  local replayed = nil
  if accepted == 1 and f[9] then replayed = replay_claim_record(f[9], request_id) end
  if replayed then
    claimed = replayed
  else
    local bad, stored = check_claim_request(owner, request_id)
    if bad then return bad end
    claimed = claim_once(now, owner, lease_ms, count, request_id, stored)
  end
end
return {accepted, claimed}
