-- delete-task: remove a task in any state with every key it owns (idempotency key released).
-- Publishes 'deleted' on its done channel (and its notify tag's) so waiters stop waiting.
-- KEYS: pending pendingList scheduled active completed failed cancelled taskPrefix eventsPrefix idemPrefix
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: 1 id
-- Returns: 1 when deleted, 0 when it did not exist
--@include common
--@include finish

local id = A[1]
local f = redis.call('HMGET', Q.taskPrefix .. id, 'state', 'notify')
local state = f[1]
if not state then return 0 end
if state == 'pending' then remove_pending(id) end
for _, set in ipairs({Q.scheduled, Q.active, Q.completed, Q.failed, Q.cancelled}) do
  redis.call('ZREM', set, id)
end
delete_task_keys({id})
redis.call('PUBLISH', CH.donePrefix .. id, 'deleted')
announce(id, 'deleted', {notify = f[2]})
return 1
