-- enqueue-core.lua: creating one task (needs common). Uses Q.pending, Q.pendingList, Q.scheduled, Q.defaults,
-- Q.counters, Q.wake, Q.taskPrefix, Q.idemPrefix.

-- Marks the queue as one whose tasks may hold idempotency keys (once per call): trimming reads a
-- trimmed task's key only then (finish.lua idem_used).
local idem_marked = false
local function mark_idem_used()
  if idem_marked then return end
  redis.call('HSET', Q.counters, 'idem', '1')
  idem_marked = true
end

-- A: one task's 16 or 17 arguments (see enqueue.lua). With `hand_off` (dispatch.lua), a task that
-- would be pending is offered to it first. With `list_batch` (a table), a priority-0 task's entry
-- is appended there instead of pushed: the caller pushes the batch's entries in one RPUSH.
-- Returns {created (1/0), id, state} and, as a second value, whether a pending task was added
-- (the caller wakes a supervisor once).
local function enqueue_one(A, now, hand_off, list_batch)
  local id = A[1]
  local tk = Q.taskPrefix .. id
  local idem = A[14]
  if idem ~= '' then
    local existing = redis.call('GET', Q.idemPrefix .. idem)
    if existing then
      local st = redis.call('HGET', Q.taskPrefix .. existing, 'state')
      if st then return {0, existing, st}, false end
    end
  end
  local current = redis.call('HGET', tk, 'state')
  if current then return {0, id, current}, false end

  local function pick(arg, field, builtin)
    if arg ~= '' then return arg end
    return queue_default_raw(field) or builtin
  end
  local max_retry = pick(A[7], 'maxRetries', C.MAX_RETRIES)
  local timeout = pick(A[8], 'timeoutMs', C.TIMEOUT_MS)
  -- The backoff in force now is kept with the task; none stored means the built-in one.
  local backoff = nil
  if A[9] ~= '' then
    backoff = {A[9], A[10], A[11], A[12]}
  elseif queue_default_raw('bType') then
    backoff = {queue_default_raw('bType'), queue_default_raw('bBase'), queue_default_raw('bMax'), queue_default_raw('bJitter')}
  end

  local run_at = now
  if A[6] ~= '' then
    run_at = tonumber(A[6])
  elseif tonumber(A[5]) > 0 then
    run_at = now + tonumber(A[5])
  end
  local state = 'pending'
  if run_at > now then state = 'scheduled' else run_at = now end

  -- Memory per pending task: fields at their default are left out (readers assume them: no
  -- priority = 0, no retryCount/attempts = 0, no timeoutMs = none, no backoff = the built-in
  -- one, no runAt = enqueuedAt); the id and queue are the key itself.
  local h = {'state', state, 'payload', A[3], 'maxRetry', max_retry, 'enqueuedAt', fmt(now)}
  local function put(field, value) h[#h + 1] = field; h[#h + 1] = value end
  if tonumber(A[4]) ~= 0 then put('priority', A[4]) end
  if tonumber(timeout) ~= 0 then put('timeoutMs', timeout) end
  if backoff then
    put('bType', backoff[1]); put('bBase', backoff[2]); put('bMax', backoff[3]); put('bJitter', backoff[4])
  end
  if run_at ~= now then put('runAt', fmt(run_at)) end
  if A[13] ~= '' then put('resultTtlMs', A[13]) end
  if A[15] ~= '' then put('type', A[15]) end
  if A[16] ~= '' then put('meta', A[16]) end
  if A[17] and A[17] ~= '' then put('notify', A[17]) end
  if idem ~= '' then
    put('idem', idem)
    redis.call('SET', Q.idemPrefix .. idem, id)
    mark_idem_used()
  end
  if state == 'scheduled' then
    redis.call('HSET', tk, unpack(h))
    schedule(id, run_at)
    return {1, id, state}, false
  end
  -- enqueue.lua passes dispatch.lua's hand_off: a supervisor waiting on the empty queue may take it.
  if hand_off and hand_off(now, id, h, {A[3], A[15], max_retry, timeout, A[16]}) then return {1, id, state}, false end
  redis.call('HSET', tk, unpack(h))
  if list_batch and tonumber(A[4]) == 0 then
    list_batch[#list_batch + 1] = list_entry(id)
  else
    push_pending(id, tonumber(A[4]))
  end
  return {1, id, state}, true
end
