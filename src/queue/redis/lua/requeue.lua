-- requeue: graceful shutdown. Active tasks whose fencing token still matches go back to
-- pending at the front of their priority; the attempt is not counted. A task whose cancel was
-- requested meanwhile ends 'cancelled' instead.
-- KEYS: pending pendingList active cancelled defaults stats throughput counters wake taskPrefix eventsPrefix idemPrefix
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: pairs of (id, token)
-- Returns: the number of tasks requeued
--@include common
--@include finish

local n = 0
local now = nil
for i = 1, #A, 2 do
  local id = A[i]
  local tk = Q.taskPrefix .. id
  local f = redis.call('HMGET', tk, 'state', 'token', 'priority', 'attempts', 'cancelRequested')
  if f[1] == 'active' and f[2] == A[i + 1] then
    if f[5] == '1' then
      now = now or now_ms()
      finish_task(id, 'cancelled', now, {'error', cjson.encode({
        message = 'cancelled (requeued on shutdown after a cancel request)', type = 'Cancelled', reason = 'cancelled'}),
        'reason', 'cancelled'})
    else
      push_pending(id, tonumber(f[3]) or 0, true)
      redis.call('HSET', tk, 'state', 'pending', 'attempts', math.max(0, (tonumber(f[4]) or 1) - 1))
      redis.call('HDEL', tk, 'owner', 'leaseUntil', 'startedAt')
      redis.call('ZREM', Q.active, id)
      n = n + 1
    end
  end
end
if n > 0 then wake() end
return n
