-- cancel: pending or scheduled -> cancelled now (idempotency key released); active -> cancel
-- requested (flag on the task) and published on CH.cancel so the owning supervisor cancels
-- it in its handler; finished tasks are left alone.
-- KEYS: pending pendingList scheduled active cancelled defaults stats throughput counters taskPrefix eventsPrefix idemPrefix
-- CHANNELS: donePrefix notifyPrefix cancel
-- ARGV: 1 id, 2 error JSON recorded on a task cancelled before it ran
-- Returns: the task's state after the call, '' when the task does not exist
--@include common
--@include finish

local id = A[1]
local tk = Q.taskPrefix .. id
local state = redis.call('HGET', tk, 'state')
if not state then return '' end
if state == 'pending' or state == 'scheduled' then
  if state == 'pending' then remove_pending(id) else redis.call('ZREM', Q.scheduled, id) end
  finish_task(id, 'cancelled', now_ms(), {'error', A[2], 'reason', 'cancelled'})
  return 'cancelled'
end
if state == 'active' then
  redis.call('HSET', tk, 'cancelRequested', '1')
  redis.call('PUBLISH', CH.cancel, id)
end
return state
