-- events-watch: a client is about to block on a task's event stream. Returns the task's state
-- ('' when the task is gone). When the task has not finished, makes sure its event stream
-- exists (a 'watch' entry) so that finishing appends the 'end' entry the client wakes on.
-- Streams are otherwise created only by progress and partial output: finishing a task that
-- nobody watched and that reported nothing writes no stream at all.
-- KEYS: defaults taskPrefix eventsPrefix
-- CHANNELS: (none)
-- ARGV: 1 id
-- Returns: the state, or ''
--@include common

local state = redis.call('HGET', Q.taskPrefix .. A[1], 'state')
if not state then return '' end
if state == 'completed' or state == 'failed' or state == 'cancelled' then return state end
local ev = Q.eventsPrefix .. A[1]
if redis.call('EXISTS', ev) == 0 then
  redis.call('HSET', Q.taskPrefix .. A[1], 'ev', '1') -- finish_task looks for the stream only then
  redis.call('XADD', ev, 'MAXLEN', '~', queue_default('eventsMaxLen', C.EVENTS_MAX_LEN), '*', 't', 'watch')
end
return state
