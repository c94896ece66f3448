-- claim-core.lua: promotion of due scheduled tasks and the atomic claim (needs common).
-- Uses Q.pending, Q.pendingList, Q.scheduled, Q.active, Q.counters, Q.wake, Q.taskPrefix,
-- Q.claimReqPrefix.

-- Moves scheduled tasks whose run-at has passed to pending (FIFO by run-at within a priority).
-- Returns how many it moved.
local function promote_due(now)
  if not sorted_sets_may_hold() then return 0 end
  local due = redis.call('ZRANGEBYSCORE', Q.scheduled, '-inf', fmt(now), 'LIMIT', 0, C.PROMOTE_BATCH)
  for _, id in ipairs(due) do
    local tk = Q.taskPrefix .. id
    local f = redis.call('HMGET', tk, 'state', 'priority')
    if f[1] == 'scheduled' then
      push_pending(id, tonumber(f[2]) or 0)
      redis.call('HSET', tk, 'state', 'pending')
    end
  end
  if #due > 0 then redis.call('ZREM', Q.scheduled, unpack(due)) end
  return #due
end

-- A claimed task as a claim's reply carries it (claimed-task.ts parseClaimRow): {id, numbers,
-- payload}, then type and meta when the task has either. numbers: "retryCount maxRetry timeoutMs
-- token leaseExpiresAt enqueuedAt startedAt attempts". Fewer values than one per field: the
-- client's reply decoder costs ~1 µs per value (11 against 5 µs per row of 12 and of 5 values).
-- An enqueue's hand-off pushes its own row form on an inbox (dispatch.lua).
local function claim_row(id, payload, task_type, meta, numbers)
  local nums = table.concat(numbers, ' ')
  if task_type == '' and meta == '' then return {id, nums, payload} end
  return {id, nums, payload, task_type, meta}
end

-- The fencing token of a claim_row.
local function row_token(row)
  return string.match(row[2], '^%S+ %S+ %S+ (%S+)')
end

-- Pops up to `count` pending tasks and leases them to `owner`: state active, a new fencing
-- token (per-queue counter, increases per claim), an entry in Q.active scored by lease expiry
-- (the lease record; leaseUntil on the task mirrors it for readers). With `cascade`, work left
-- behind wakes another idle supervisor. Returns one claim_row per task and, second, whether that
-- left nothing pending.
local function claim_tasks(now, owner, lease_ms, count, cascade)
  local out = {}
  if count <= 0 then return out, false end
  local ids = pop_pending(count)
  local claimable = {}
  for _, id in ipairs(ids) do
    local f = redis.call('HMGET', Q.taskPrefix .. id, 'state', 'payload', 'type', 'retryCount', 'maxRetry',
      'timeoutMs', 'meta', 'enqueuedAt', 'attempts', 'progress', 'partial')
    if f[1] == 'pending' then claimable[#claimable + 1] = {id, f} end
  end
  local drained = #ids < count
  if #claimable == 0 then return out, drained end
  -- One counter step and one active-set write for the whole claim: tokens still increase per task.
  local token = redis.call('HINCRBY', Q.counters, 'token', #claimable) - #claimable
  local lease_until, started = fmt(now + lease_ms), fmt(now)
  local leases = {}
  for _, c in ipairs(claimable) do
    local id, f = c[1], c[2]
    local tk = Q.taskPrefix .. id
    token = token + 1
    local token_s, attempts = fmt(token), fmt((tonumber(f[9]) or 0) + 1)
    redis.call('HSET', tk, 'state', 'active', 'token', token_s, 'owner', owner,
      'startedAt', started, 'leaseUntil', lease_until, 'attempts', attempts)
    -- A new attempt starts with no progress: a retry does not show its predecessor's.
    if f[10] or f[11] then redis.call('HDEL', tk, 'progress', 'progressMsg', 'partial') end
    leases[#leases + 1] = lease_until
    leases[#leases + 1] = id
    out[#out + 1] = claim_row(id, f[2] or 'null', f[3] or '', f[7] or '',
      {f[4] or '0', f[5] or '0', f[6] or '0', token_s, lease_until, f[8] or '0', started, attempts})
  end
  redis.call('ZADD', Q.active, unpack(leases))
  if cascade and not drained and has_pending() then wake() end
  return out, drained
end

-- An error reply when a caller-chosen claim request id ('' = none) is not of the allowed form.
local function bad_request_id(request_id)
  if #request_id > C.REQUEST_ID_MAX_LENGTH or not string.find(request_id, '^[%w_.:@+/=%-]+$') then
    return redis.error_reply('DROVER_BAD_ARG requestId must be 1-' .. C.REQUEST_ID_MAX_LENGTH ..
      ' characters of [A-Za-z0-9_.:@+/=-], got ' .. request_id)
  end
end

-- Checks a caller-chosen claim request id before anything is written: its form, and that no
-- other supervisor recorded a claim under it. Returns an error reply or nil, then the stored
-- record (JSON, or false when none) for claim_once.
local function check_claim_request(owner, request_id)
  if request_id == '' then return nil, false end
  local bad = bad_request_id(request_id)
  if bad then return bad, false end
  local stored = redis.call('GET', Q.claimReqPrefix .. request_id)
  if not stored then return nil, false end
  local used_by = cjson.decode(stored).owner
  if used_by ~= owner then
    return redis.error_reply('DROVER_BAD_ARG requestId ' .. request_id ..
      ' was already used by supervisor ' .. tostring(used_by)), false
  end
  return nil, stored
end

-- The rows of a recorded claim, answered again: a recorded task is left out unless it is still
-- active with the recorded token (it may have been recovered, cancelled, finished or deleted
-- meanwhile); its row is rebuilt from the task hash, which no other transition changes while
-- that token holds the task.
local function replay_rows(ids, tokens)
  local out = {}
  for i, id in ipairs(ids) do
    local f = redis.call('HMGET', Q.taskPrefix .. id, 'state', 'payload', 'type', 'retryCount',
      'maxRetry', 'timeoutMs', 'meta', 'enqueuedAt', 'attempts', 'token', 'leaseUntil', 'startedAt')
    if f[1] == 'active' and f[10] == tokens[i] then
      out[#out + 1] = claim_row(id, f[2] or 'null', f[3] or '', f[7] or '',
        {f[4] or '0', f[5] or '0', f[6] or '0', f[10], f[11] or '0', f[8] or '0', f[12] or '0', f[9] or '0'})
    end
  end
  return out
end

-- The claim that completes a task records what it claimed on that task instead of in a key of
-- its own (complete.lua): "<request id> <id> <token> <id> <token> ...". Ids, tokens and request
-- ids never contain spaces.
local function claim_record(request_id, rows)
  local parts = {request_id}
  for _, row in ipairs(rows) do
    parts[#parts + 1] = row[1]
    parts[#parts + 1] = row_token(row)
  end
  return table.concat(parts, ' ')
end

-- The rows of a claim_record when it was made under `request_id`, else nil.
local function replay_claim_record(record, request_id)
  local ids, tokens, i = {}, {}, 0
  for word in string.gmatch(record, '%S+') do
    if i == 0 then
      if word ~= request_id then return nil end
    elseif i % 2 == 1 then
      ids[#ids + 1] = word
    else
      tokens[#tokens + 1] = word
    end
    i = i + 1
  end
  return replay_rows(ids, tokens)
end

-- The idempotent claim: promote due tasks, then claim_tasks. With a request id ('' = none), the
-- claim is recorded under Q.claimReqPrefix .. request_id (PX lease_ms) as {owner, ids, tokens},
-- and a second run with the same id (a command re-sent after a lost reply) answers from that
-- record (replay_rows) instead of claiming: no new token, no attempt, no promotion, no wake. An
-- empty claim records nothing. Call check_claim_request first and pass the record it returned
-- as `stored`. Returns the rows and, second, whether the claim left nothing pending (never set
-- on a replay).
local function claim_once(now, owner, lease_ms, count, request_id, stored)
  local rk
  if request_id ~= '' then
    rk = Q.claimReqPrefix .. request_id
    if stored then
      local rec = cjson.decode(stored)
      return replay_rows(rec.ids, rec.tokens)
    end
  end
  promote_due(now)
  local out, drained = claim_tasks(now, owner, lease_ms, count, true)
  if rk and #out > 0 then
    local ids, tokens = {}, {}
    for i, row in ipairs(out) do
      ids[i] = row[1]
      tokens[i] = row_token(row) -- an exact decimal string, as HGET returns it
    end
    redis.call('SET', rk, cjson.encode({owner = owner, ids = ids, tokens = tokens}), 'PX', lease_ms)
  end
  return out, drained
end
