-- claim-core.lua: promotion of due scheduled tasks and the atomic claim (needs common).
-- Uses Q.pending, Q.scheduled, Q.active, Q.counters, Q.wake, Q.taskPrefix, Q.leasePrefix,
-- Q.claimReqPrefix.

-- Moves scheduled tasks whose run-at has passed to pending (FIFO by run-at within a priority).
local function promote_due(now)
  local due = redis.call('ZRANGEBYSCORE', Q.scheduled, '-inf', fmt(now), 'LIMIT', 0, C.PROMOTE_BATCH)
  for _, id in ipairs(due) do
    local tk = Q.taskPrefix .. id
    local f = redis.call('HMGET', tk, 'state', 'priority')
    if f[1] == 'scheduled' then
      local seq = redis.call('HINCRBY', Q.counters, 'seq', 1)
      redis.call('ZADD', Q.pending, fmt(pending_score(tonumber(f[2]) or 0, seq)), id)
      redis.call('HSET', tk, 'state', 'pending')
    end
  end
  if #due > 0 then redis.call('ZREM', Q.scheduled, unpack(due)) end
end

-- Pops up to `count` pending tasks and leases them to `owner`: state active, a new fencing
-- token (per-queue counter, increases per claim), a lease key with PX, an entry in Q.active
-- scored by lease expiry. Returns one array per task:
-- {id, payload, type, retryCount, maxRetry, timeoutMs, meta, token, leaseExpiresAt, enqueuedAt,
--  startedAt, attempts}
local function claim_tasks(now, owner, lease_ms, count)
  local out = {}
  if count <= 0 then return out end
  local popped = redis.call('ZPOPMIN', Q.pending, count)
  for i = 1, #popped, 2 do
    local id = popped[i]
    local tk = Q.taskPrefix .. id
    local f = redis.call('HMGET', tk, 'state', 'payload', 'type', 'retryCount', 'maxRetry',
      'timeoutMs', 'meta', 'enqueuedAt', 'attempts', 'progress', 'partial')
    if f[1] == 'pending' then
      local token = redis.call('HINCRBY', Q.counters, 'token', 1)
      local lease_until = now + lease_ms
      local attempts = (tonumber(f[9]) or 0) + 1
      redis.call('HSET', tk, 'state', 'active', 'token', token, 'owner', owner,
        'startedAt', fmt(now), 'leaseUntil', fmt(lease_until), 'attempts', attempts)
      -- A new attempt starts with no progress: a retry does not show its predecessor's.
      if f[10] or f[11] then redis.call('HDEL', tk, 'progress', 'progressMsg', 'partial') end
      redis.call('SET', Q.leasePrefix .. id, token, 'PX', lease_ms)
      redis.call('ZADD', Q.active, fmt(lease_until), id)
      out[#out + 1] = {id, f[2] or 'null', f[3] or '', f[4] or '0', f[5] or '0', f[6] or '0',
        f[7] or '', token, fmt(lease_until), f[8] or '0', fmt(now), attempts}
    end
  end
  -- Work left behind: wake another idle supervisor (cascading wakeups).
  if #out > 0 and redis.call('ZCARD', Q.pending) > 0 then wake() end
  return out
end

-- Checks a caller-chosen claim request id ('' = none) before anything is written: its form,
-- and that no other supervisor recorded a claim under it. Returns an error reply or nil, then
-- the stored record (JSON, or false when none) for claim_once.
local function check_claim_request(owner, request_id)
  if request_id == '' then return nil, false end
  if #request_id > C.REQUEST_ID_MAX_LENGTH or not string.find(request_id, '^[%w_.:@+/=%-]+$') then
    return redis.error_reply('DROVER_BAD_ARG requestId must be 1-' .. C.REQUEST_ID_MAX_LENGTH ..
      ' characters of [A-Za-z0-9_.:@+/=-], got ' .. request_id)
  end
  local stored = redis.call('GET', Q.claimReqPrefix .. request_id)
  if not stored then return nil, false end
  local used_by = cjson.decode(stored).owner
  if used_by ~= owner then
    return redis.error_reply('DROVER_BAD_ARG requestId ' .. request_id ..
      ' was already used by supervisor ' .. tostring(used_by)), false
  end
  return nil, stored
end

-- The idempotent claim: promote due tasks, then claim_tasks. With a request id ('' = none), the
-- claim is recorded under Q.claimReqPrefix .. request_id (PX lease_ms) as {owner, ids, tokens},
-- and a second run with the same id (a command re-sent after a lost reply) answers from that
-- record instead of claiming: no new token, no attempt, no promotion, no wake. A recorded task
-- is left out of the replay unless it is still active with the recorded token (it may have been
-- recovered, cancelled, finished or deleted meanwhile); its row is rebuilt from the task hash,
-- which no other transition changes while that token holds the task. An empty claim records
-- nothing. Call check_claim_request first and pass the record it returned as `stored`.
local function claim_once(now, owner, lease_ms, count, request_id, stored)
  local rk
  if request_id ~= '' then
    rk = Q.claimReqPrefix .. request_id
    if stored then
      local rec = cjson.decode(stored)
      local out = {}
      for i, id in ipairs(rec.ids) do
        local f = redis.call('HMGET', Q.taskPrefix .. id, 'state', 'payload', 'type', 'retryCount',
          'maxRetry', 'timeoutMs', 'meta', 'enqueuedAt', 'attempts', 'token', 'leaseUntil', 'startedAt')
        if f[1] == 'active' and f[10] == rec.tokens[i] then
          out[#out + 1] = {id, f[2] or 'null', f[3] or '', f[4] or '0', f[5] or '0', f[6] or '0',
            f[7] or '', tonumber(f[10]), f[11] or '0', f[8] or '0', f[12] or '0', tonumber(f[9]) or 0}
        end
      end
      return out
    end
  end
  promote_due(now)
  local out = claim_tasks(now, owner, lease_ms, count)
  if rk and #out > 0 then
    local ids, tokens = {}, {}
    for i, row in ipairs(out) do
      ids[i] = row[1]
      tokens[i] = fmt(row[8]) -- an exact decimal string, as HGET returns it
    end
    redis.call('SET', rk, cjson.encode({owner = owner, ids = ids, tokens = tokens}), 'PX', lease_ms)
  end
  return out
end
