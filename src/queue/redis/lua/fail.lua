-- fail: record a failed attempt when the fencing token still matches (else count a stale
-- reply). Retries (scheduled at now + retryAfterMs, else the task's backoff) only when asked to
-- and retryCount < maxRetry; otherwise the task is dead ('failed'). A task whose cancel was
-- requested, or that failed with reason 'cancelled', ends 'cancelled'. The attempt's token and
-- the state it led to are recorded (finishedToken / finishedAs): a second run for the same
-- attempt (a re-sent command whose reply was lost) is accepted again with the same answer,
-- without changing or counting anything.
-- KEYS: scheduled active failed cancelled defaults stats throughput wake counters taskPrefix eventsPrefix idemPrefix
-- CHANNELS: donePrefix notifyPrefix
-- ARGV: 1 id, 2 token, 3 reason, 4 error JSON, 5 retry (1/0), 6 retryAfterMs ('' = backoff),
--       7 a random number in [0, 1) for the jitter
-- Returns: {accepted (1/0), state after the call ('' when the task is gone), run-at ms or 0}
--@include common
--@include finish

local id = A[1]
local tk = Q.taskPrefix .. id
local now = now_ms()
local f = redis.call('HMGET', tk, 'state', 'token', 'retryCount', 'maxRetry', 'bType', 'bBase',
  'bMax', 'bJitter', 'cancelRequested', 'finishedToken', 'finishedAs', 'runAt')
if not (f[1] == 'active' and f[2] == A[2]) then
  if f[10] == A[2] and f[11] and f[11] ~= 'completed' then
    -- Already failed by this attempt: a replay. runAt still holds the retry time it set.
    if f[11] == 'scheduled' then return {1, 'scheduled', f[12] or '0'} end
    return {1, f[11], 0}
  end
  redis.call('HINCRBY', Q.stats, 'stale', 1)
  return {0, f[1] or '', 0}
end
local reason = A[3]
redis.call('HINCRBY', Q.stats, 'reason:' .. reason, 1)
local retry_count = tonumber(f[3]) or 0
local fields = {'error', A[4], 'reason', reason, 'retryCount', retry_count + 1, 'finishedToken', A[2]}

if f[9] == '1' or reason == 'cancelled' then
  finish_task(id, 'cancelled', now, {'finishedAs', 'cancelled', unpack(fields)})
  return {1, 'cancelled', 0}
end

if A[5] == '1' and retry_count < (tonumber(f[4]) or 0) then
  local delay
  if A[6] ~= '' then
    delay = tonumber(A[6])
  else
    local base = tonumber(f[6]) or C.BACKOFF_BASE_MS
    local cap = tonumber(f[7]) or C.BACKOFF_MAX_MS
    if (f[5] or C.BACKOFF_TYPE) == 'fixed' then delay = base else delay = base * math.pow(2, retry_count) end
    delay = math.min(cap, delay)
    if tonumber(f[8] or C.BACKOFF_JITTER) == 1 then delay = math.floor(delay * tonumber(A[7])) end
  end
  local run_at = now + delay
  redis.call('HSET', tk, 'state', 'scheduled', 'runAt', fmt(run_at), 'finishedAs', 'scheduled', unpack(fields))
  redis.call('HDEL', tk, 'owner', 'leaseUntil')
  redis.call('ZREM', Q.active, id)
  redis.call('HINCRBY', Q.stats, 'retried', 1)
  schedule(id, run_at)
  return {1, 'scheduled', fmt(run_at)}
end

finish_task(id, 'failed', now, {'finishedAs', 'failed', unpack(fields)})
return {1, 'failed', 0}
