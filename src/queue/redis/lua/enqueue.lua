-- enqueue: create one task, pending or scheduled, unless its id or idempotency key is taken.
-- KEYS: pending scheduled defaults counters wake taskPrefix idemPrefix
-- CHANNELS: (none)
-- ARGV: 1 id, 2 queue, 3 payload JSON, 4 priority, 5 delayMs, 6 runAt epoch ms ('' = none),
--       7 maxRetries ('' = queue default), 8 timeoutMs (''), 9 backoff type ('' = queue default
--       backoff), 10 backoff baseMs, 11 backoff maxMs, 12 backoff jitter (1/0),
--       13 resultTtlMs (''), 14 idempotency key (''), 15 type (''), 16 meta JSON ('')
-- Returns: {1, id, state} when created; {0, existing id, its state} when the id or the
--          idempotency key matched a task that is still kept.
--@include common

local id = A[1]
local tk = Q.taskPrefix .. id
local idem = A[14]
if idem ~= '' then
  local existing = redis.call('GET', Q.idemPrefix .. idem)
  if existing then
    local st = redis.call('HGET', Q.taskPrefix .. existing, 'state')
    if st then return {0, existing, st} end
  end
end
local current = redis.call('HGET', tk, 'state')
if current then return {0, id, current} end

local now = now_ms()
local function pick(arg, field, builtin)
  if arg ~= '' then return arg end
  local v = redis.call('HGET', Q.defaults, field)
  if v then return v end
  return builtin
end
local max_retry = pick(A[7], 'maxRetries', C.MAX_RETRIES)
local timeout = pick(A[8], 'timeoutMs', C.TIMEOUT_MS)
local backoff = {A[9], A[10], A[11], A[12]}
if A[9] == '' then
  local d = redis.call('HMGET', Q.defaults, 'bType', 'bBase', 'bMax', 'bJitter')
  if d[1] then backoff = d else backoff = {C.BACKOFF_TYPE, C.BACKOFF_BASE_MS, C.BACKOFF_MAX_MS, C.BACKOFF_JITTER} end
end

local run_at = now
if A[6] ~= '' then
  run_at = tonumber(A[6])
elseif tonumber(A[5]) > 0 then
  run_at = now + tonumber(A[5])
end
local state = 'pending'
if run_at > now then state = 'scheduled' else run_at = now end

redis.call('HSET', tk, 'id', id, 'queue', A[2], 'state', state, 'payload', A[3], 'priority', A[4],
  'maxRetry', max_retry, 'retryCount', 0, 'attempts', 0, 'timeoutMs', timeout,
  'bType', backoff[1], 'bBase', backoff[2], 'bMax', backoff[3], 'bJitter', backoff[4],
  'enqueuedAt', fmt(now), 'runAt', fmt(run_at))
if A[13] ~= '' then redis.call('HSET', tk, 'resultTtlMs', A[13]) end
if A[15] ~= '' then redis.call('HSET', tk, 'type', A[15]) end
if A[16] ~= '' then redis.call('HSET', tk, 'meta', A[16]) end
if idem ~= '' then
  redis.call('HSET', tk, 'idem', idem)
  redis.call('SET', Q.idemPrefix .. idem, id)
end

if state == 'scheduled' then
  schedule(id, run_at)
else
  local seq = redis.call('HINCRBY', Q.counters, 'seq', 1)
  redis.call('ZADD', Q.pending, fmt(pending_score(tonumber(A[4]), seq)), id)
  wake()
end
return {1, id, state}
