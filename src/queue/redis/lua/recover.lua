-- recover: one sweep of the active set of one queue, guarded by a SET NX PX lock so that one
-- supervisor runs it per interval. The active set is the lease record: a task's score is its
-- lease expiry. Recovers tasks whose lease expired (score <= now); over a rotating window of
-- C.RECOVER_BATCH entries it also drops entries whose task hash is gone (expired, deleted or
-- evicted) or no longer active. Each recovered task counts an attempt (reason lease_lost): back
-- to pending at the front while retries remain, else dead; a task whose cancel was requested
-- ends cancelled.
-- KEYS: pending pendingList active failed cancelled defaults stats throughput counters wake recoverLock taskPrefix eventsPrefix idemPrefix
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: 1 lockMs (0 = no lock)
-- Returns: {ran (1/0), requeued, failed, cancelled}
--@include common
--@include finish

local lock_ms = tonumber(A[1])
if lock_ms > 0 then
  if not redis.call('SET', Q.recoverLock, '1', 'NX', 'PX', lock_ms) then return {0, 0, 0, 0} end
end
local now = now_ms()

local candidates, seen = {}, {}
local function add(id, why)
  if not seen[id] then
    seen[id] = true
    candidates[#candidates + 1] = {id, why}
  end
end
for _, id in ipairs(redis.call('ZRANGEBYSCORE', Q.active, '-inf', fmt(now), 'LIMIT', 0, C.RECOVER_BATCH)) do
  add(id, 'lease expired')
end
local cursor = tonumber(redis.call('HGET', Q.counters, 'recoverCursor')) or 0
local window = redis.call('ZRANGE', Q.active, cursor, cursor + C.RECOVER_BATCH - 1)
if #window < C.RECOVER_BATCH then cursor = 0 else cursor = cursor + C.RECOVER_BATCH end
redis.call('HSET', Q.counters, 'recoverCursor', cursor)
for _, id in ipairs(window) do
  if redis.call('HGET', Q.taskPrefix .. id, 'state') ~= 'active' then add(id, 'no active task') end
end

local requeued, failed, cancelled = 0, 0, 0
for _, c in ipairs(candidates) do
  local id, why = c[1], c[2]
  local tk = Q.taskPrefix .. id
  local f = redis.call('HMGET', tk, 'state', 'retryCount', 'maxRetry', 'priority', 'cancelRequested', 'owner')
  if f[1] ~= 'active' then
    redis.call('ZREM', Q.active, id)
  else
    redis.call('HINCRBY', Q.stats, 'reason:lease_lost', 1)
    local retry_count = tonumber(f[2]) or 0
    local err = cjson.encode({
      message = 'lease lost (' .. why .. '): supervisor ' .. (f[6] or '?') .. ' stopped renewing it',
      type = 'LeaseLost',
      reason = 'lease_lost',
    })
    local fields = {'error', err, 'reason', 'lease_lost', 'retryCount', retry_count + 1}
    if f[5] == '1' then
      finish_task(id, 'cancelled', now, fields)
      cancelled = cancelled + 1
    elseif retry_count < (tonumber(f[3]) or 0) then
      push_pending(id, tonumber(f[4]) or 0, true)
      redis.call('HSET', tk, 'state', 'pending', unpack(fields))
      redis.call('HDEL', tk, 'owner', 'leaseUntil')
      redis.call('ZREM', Q.active, id)
      requeued = requeued + 1
    else
      finish_task(id, 'failed', now, fields)
      failed = failed + 1
    end
  end
end
if requeued > 0 then wake() end
return {1, requeued, failed, cancelled}
