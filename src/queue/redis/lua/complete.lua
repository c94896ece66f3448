-- complete: store the result when the fencing token still matches (else count a stale reply),
-- then optionally claim the next tasks in the same round trip. A second run for an attempt
-- that this script already completed (same token, recorded in finishedToken / finishedAs) is
-- accepted again without changing or counting anything: a re-sent command whose reply was lost.
-- The claim of the next tasks is idempotent with a request id (see complete-core).
-- KEYS: pending pendingList scheduled active completed defaults stats throughput counters wake taskPrefix eventsPrefix idemPrefix claimReqPrefix idle
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: 1 id, 2 token, 3 result JSON, 4 claim next (1/0), 5 supervisor id, 6 leaseMs, 7 count,
--       8 request id of the claim ('' = none)
-- Returns: {accepted (1/0), claimed tasks (as claim.lua)}
--@include common
--@include finish
--@include claim-core
--@include dispatch
--@include complete-core

local count = 0
if A[4] == '1' then count = tonumber(A[7]) end
local request_id = A[8] or ''
if count > 0 and request_id ~= '' then
  local bad = bad_request_id(request_id)
  if bad then return bad end
end
local accepted, claimed = complete_attempts({{A[1], A[2], A[3]}}, A[5], tonumber(A[6]), count, request_id)
if not accepted then return claimed end
return {accepted[1] and 1 or 0, claimed}
