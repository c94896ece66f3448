-- complete-many: complete.lua for several attempts of one queue in one round trip, with one
-- claim of the next tasks for all of them: the supervisor's group commit (completions that
-- arrive while its previous call is in flight go out together in the next). The writes made
-- once per call instead of once per task: the clock, the queue's defaults, the active and
-- retention sets, the counters, and the claim's reads, token and lease writes.
-- KEYS: pending pendingList scheduled active completed defaults stats throughput counters wake taskPrefix eventsPrefix idemPrefix claimReqPrefix idle
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: 1 supervisor id, 2 leaseMs, 3 how many tasks to claim (0 = none), 4 request id of the
--       claim ('' = none), 5 idle ms ('' = none) and 6 idle slots: when the claim drains the
--       queue, register the supervisor in Q.idle for that long, for that many tasks minus those
--       claimed (as claim.lua does; dispatch.lua), then 3 values per attempt: id, token, result JSON
-- Returns: {flags, claimed tasks (as claim.lua)}: flags has one character per attempt, in
--          order, '1' when accepted (see complete-core); with idle ms, when the claim drained the
--          queue, a third value: what a wake-peek would answer next (as claim.lua's last value)
--@include common
--@include finish
--@include claim-core
--@include dispatch
--@include complete-core

local lease_ms, count, request_id = tonumber(A[2]), tonumber(A[3]), A[4] or ''
if #A < 9 or (#A - 6) % 3 ~= 0 then
  return redis.error_reply('DROVER_BAD_ARG complete-many takes 6 arguments and 3 per attempt, got ' .. #A)
end
local idle = nil
if A[5] ~= '' then
  idle = {ms = tonumber(A[5]), slots = tonumber(A[6])}
  if not idle.ms or idle.ms < 1 or not idle.slots then
    return redis.error_reply('DROVER_BAD_ARG complete-many needs a positive idle ms and a slot count, got ' ..
      tostring(A[5]) .. ' and ' .. tostring(A[6]))
  end
end
if not count or count < 0 or (count > 0 and not (lease_ms and lease_ms >= 1)) then
  return redis.error_reply('DROVER_BAD_ARG complete-many needs a count >= 0 and a positive leaseMs, got ' ..
    tostring(A[3]) .. ' and ' .. tostring(A[2]))
end
if count > 0 and request_id ~= '' then
  local bad = bad_request_id(request_id)
  if bad then return bad end
end
local attempts = {}
for i = 7, #A, 3 do attempts[#attempts + 1] = {A[i], A[i + 1], A[i + 2]} end
local accepted, claimed, wait = complete_attempts(attempts, A[1], lease_ms, count, request_id, idle)
if not accepted then return claimed end
local flags = {}
for i, ok in ipairs(accepted) do flags[i] = ok and '1' or '0' end
if wait then return {table.concat(flags), claimed, wait} end
return {table.concat(flags), claimed}
