-- task-event: progress or partial output of an active attempt, dropped when the fencing token
-- is stale. Stored on the task (last value) and appended to its event stream (XADD MAXLEN ~).
-- KEYS: defaults taskPrefix eventsPrefix
-- CHANNELS: (none)
-- ARGV: 1 id, 2 token, 3 kind ('progress' | 'partial'), 4 value (progress number or partial
--       JSON), 5 progress message ('' = none)
-- Returns: 1 when stored, 0 when dropped
--@include common

local id = A[1]
local tk = Q.taskPrefix .. id
local f = redis.call('HMGET', tk, 'state', 'token')
if not (f[1] == 'active' and f[2] == A[2]) then return 0 end
local maxlen = queue_default('eventsMaxLen', C.EVENTS_MAX_LEN)
local ev = Q.eventsPrefix .. id
if A[3] == 'progress' then
  redis.call('HSET', tk, 'progress', A[4], 'progressMsg', A[5], 'ev', '1')
  redis.call('XADD', ev, 'MAXLEN', '~', maxlen, '*', 't', 'progress', 'd', A[4], 'm', A[5])
else
  redis.call('HSET', tk, 'partial', A[4], 'ev', '1')
  redis.call('XADD', ev, 'MAXLEN', '~', maxlen, '*', 't', 'partial', 'd', A[4])
end
return 1
