-- retry-dead: move dead (failed) tasks back to pending with a fresh retry budget
-- (retryCount 0), removing their TTLs and their old event stream.
-- KEYS: pending pendingList failed counters wake taskPrefix eventsPrefix idemPrefix
-- CHANNELS: (none)
-- ARGV: ids to retry; none = the oldest C.TRIM_BATCH dead tasks
-- Returns: {moved, examined}
--@include common

local ids = A
if #ids == 0 then ids = redis.call('ZRANGE', Q.failed, 0, C.TRIM_BATCH - 1) end
local moved = 0
for _, id in ipairs(ids) do
  local tk = Q.taskPrefix .. id
  local f = redis.call('HMGET', tk, 'state', 'priority', 'idem')
  if redis.call('ZSCORE', Q.failed, id) then redis.call('ZREM', Q.failed, id) end
  if f[1] == 'failed' then
    redis.call('PERSIST', tk)
    redis.call('DEL', Q.eventsPrefix .. id)
    if f[3] and f[3] ~= '' and redis.call('GET', Q.idemPrefix .. f[3]) == id then
      redis.call('PERSIST', Q.idemPrefix .. f[3])
    end
    redis.call('HSET', tk, 'state', 'pending', 'retryCount', 0)
    redis.call('HDEL', tk, 'finishedAt', 'expiresAt', 'startedAt', 'ev')
    push_pending(id, tonumber(f[2]) or 0)
    moved = moved + 1
  end
end
if moved > 0 then wake() end
return {moved, #ids}
