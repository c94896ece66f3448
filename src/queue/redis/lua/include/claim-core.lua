-- claim-core.lua: promotion of due scheduled tasks and the atomic claim (needs common).
-- Uses Q.pending, Q.scheduled, Q.active, Q.counters, Q.wake, Q.taskPrefix, Q.leasePrefix.

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
      'timeoutMs', 'meta', 'enqueuedAt', 'attempts')
    if f[1] == 'pending' then
      local token = redis.call('HINCRBY', Q.counters, 'token', 1)
      local lease_until = now + lease_ms
      local attempts = (tonumber(f[9]) or 0) + 1
      redis.call('HSET', tk, 'state', 'active', 'token', token, 'owner', owner,
        'startedAt', fmt(now), 'leaseUntil', fmt(lease_until), 'attempts', attempts)
      redis.call('HDEL', tk, 'progress', 'progressMsg')
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
