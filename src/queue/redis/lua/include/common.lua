-- common.lua: helpers shared by the queue scripts (inlined by the loader at `--@include common`).
-- The loader defines, before this file: C (constants from TypeScript), Q (the script's declared
-- KEYS by name), CH (declared channel names) and A (the script's own ARGV, after the channels).
-- Per-task keys are Q.<x>Prefix .. id: they carry the queue's hash tag, so they live in the
-- same Cluster slot as every declared key.

-- Milliseconds of Redis server TIME: every lease and schedule time uses this clock.
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- An integer as an exact decimal string (tostring uses %.14g and loses precision).
local function fmt(n)
  return string.format('%.0f', n)
end

-- Pending score, lowest runs first: a band per priority (higher priority -> lower band) and a
-- FIFO sequence inside the band. front_score puts a task ahead of every normal one of its band.
local function pending_score(priority, seq)
  return (C.PRIORITY_MAX - priority) * C.PRIORITY_BAND + C.FIFO_OFFSET + seq
end

local function front_score(priority, fseq)
  return (C.PRIORITY_MAX - priority) * C.PRIORITY_BAND + C.FIFO_OFFSET - fseq
end

-- Wake one blocked supervisor (BLPOP on Q.wake). A token already waiting is enough: a blocked
-- BLPOP takes a token as soon as it is pushed, so one still there means nobody is blocked yet,
-- and whoever comes next takes it and cascades (claim wakes the next when work is left).
local function wake()
  if redis.call('LLEN', Q.wake) == 0 then redis.call('LPUSH', Q.wake, '1') end
end

-- The queue's defaults hash, read once per script run (it is small, and finishing a task
-- needs up to three of its fields).
local defaults_cache
-- A per-queue default from Q.defaults as stored (a string), or nil.
local function queue_default_raw(field)
  if not defaults_cache then
    defaults_cache = {}
    local flat = redis.call('HGETALL', Q.defaults)
    for i = 1, #flat, 2 do defaults_cache[flat[i]] = flat[i + 1] end
  end
  return defaults_cache[field]
end

-- A per-queue default from Q.defaults, else the built-in value.
local function queue_default(field, builtin)
  local v = queue_default_raw(field)
  if v then return tonumber(v) end
  return builtin
end

-- Adds a task to the scheduled set; wakes a supervisor when it is the new earliest one, so
-- blocked supervisors recompute their timeout.
local function schedule(id, run_at)
  local first = redis.call('ZRANGE', Q.scheduled, 0, 0, 'WITHSCORES')
  redis.call('ZADD', Q.scheduled, fmt(run_at), id)
  if #first == 0 or tonumber(first[2]) >= run_at then wake() end
end

-- Back to pending at the front of its priority band.
local function push_front(id, priority)
  local fseq = redis.call('HINCRBY', Q.counters, 'fseq', 1)
  redis.call('ZADD', Q.pending, fmt(front_score(priority, fseq)), id)
end
