-- complete-core.lua: completing attempts and claiming the next tasks in the same round trip
-- (needs common, finish, claim-core and dispatch). complete.lua completes one attempt,
-- complete-many.lua several (the supervisor's group commit: what finished while a call was in
-- flight).

-- Completes `attempts` ({id, token, result JSON} each) and, when count > 0, claims up to `count`
-- next tasks for `owner`. An attempt is accepted when its task is still active under its token
-- (the result is stored and counted), or when this attempt already completed it (a re-sent
-- command whose reply was lost: nothing changes or counts again); any other is a stale reply.
-- The claim is idempotent with a request id: when an attempt is accepted afresh, the record of
-- what was claimed (claim_record) rides on the first one's finishing HSET, so a replay answers
-- from there; otherwise the claim goes through claim_once's own record.
-- With `idle` ({ms = , slots = }, complete-many only), a claim that drains the queue registers
-- the supervisor in Q.idle for `slots` minus what it claimed, as a claim does (claim.lua): the
-- slot a completion frees goes back on the supervisor's entry, so at low load the next task is
-- handed over without a claim of its own.
-- Returns a table of accepted flags (true/false, by attempt), the claimed rows and, when the
-- claim drained the queue and `idle` was given, what a wake-peek would answer (drained_wait);
-- or nil and an error reply.
local function complete_attempts(attempts, owner, lease_ms, count, request_id, idle)
  local now = now_ms()
  local reads, fresh, seen = {}, {}, {}
  for i, a in ipairs(attempts) do
    local f = redis.call('HMGET', Q.taskPrefix .. a[1], 'state', 'token', 'finishedToken', 'finishedAs', 'idem',
      'resultTtlMs', 'reason', 'ev', 'claimRec', 'notify')
    reads[i] = f
    -- The same task twice in one call: only its first attempt can be the one that holds it.
    if f[1] == 'active' and f[2] == a[2] and not seen[a[1]] then fresh[#fresh + 1] = i end
    seen[a[1]] = true
  end
  local accepted, claimed, wait = {}, {}, nil
  if #fresh > 0 then
    -- Claim first, so that the record of what was claimed rides on a finishing HSET. Wakeups
    -- cascade from claims of woken supervisors (claim.lua) and from enqueues; a busy
    -- supervisor's claim-next wakes a peer only for tasks it just promoted, which no enqueue
    -- announced. Saves two reads per call at full load.
    local drained = false
    if count > 0 then claimed, drained = claim_tasks(now, owner, lease_ms, count, promote_due(now) > 0) end
    if drained and idle then
      wait = drained_wait(now)
      if wait ~= 0 and idle.slots > #claimed then register_idle(now, owner, lease_ms, idle.ms, idle.slots - #claimed) end
    end
    local batch = finish_batch()
    for k, i in ipairs(fresh) do
      local a, f = attempts[i], reads[i]
      local fields = {'result', a[3], 'finishedToken', a[2], 'finishedAs', 'completed'}
      if k == 1 and count > 0 and request_id ~= '' then
        fields[#fields + 1] = 'claimRec'
        fields[#fields + 1] = claim_record(request_id, claimed)
      end
      local hdel = nil
      if f[7] then hdel = {'error', 'reason'} end -- left by an earlier attempt
      finish_task(a[1], 'completed', now, fields, {idem = f[5], resultTtlMs = f[6], events = f[8], notify = f[10],
        hdel = hdel, result = a[3]}, batch)
      accepted[i] = true
    end
    flush_finished(batch, now)
  end
  local replayed, stale = nil, 0
  for i, a in ipairs(attempts) do
    if not accepted[i] then
      local f = reads[i]
      accepted[i] = f[3] == a[2] and f[4] == 'completed' -- already completed by this attempt: a replay
      if not accepted[i] then
        stale = stale + 1
      elseif #fresh == 0 and count > 0 and f[9] and not replayed then
        replayed = replay_claim_record(f[9], request_id)
      end
    end
  end
  if stale > 0 then redis.call('HINCRBY', Q.stats, 'stale', stale) end
  if #fresh == 0 and count > 0 then
    if replayed then
      claimed = replayed
    else
      local bad, stored = check_claim_request(owner, request_id)
      if bad then return nil, bad end
      claimed = claim_once(now, owner, lease_ms, count, request_id, stored)
    end
  end
  return accepted, claimed, wait
end
