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

-- An integer as an exact decimal string (tostring uses %.14g and loses precision). '%.0f' of
-- an epoch-ms double costs ~1 µs here (glibc prints it in multi-precision), two '%d' halves
-- ~0.5; and one script formats the same clock, lease and expiry for every task it touches, so
-- each value is formatted once per call.
local fmt_cache = {}
local function fmt(n)
  local s = fmt_cache[n]
  if s then return s end
  if n >= 0 and n < 1e15 and n == math.floor(n) then
    local hi = math.floor(n / 1e6) -- below 2^31: '%d' is exact where C's long has 32 bits too
    if hi == 0 then s = string.format('%d', n) else s = string.format('%d%06d', hi, n - hi * 1e6) end
  else
    s = string.format('%.0f', n)
  end
  fmt_cache[n] = s
  return s
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

-- Whether Q.scheduled or Q.pending (the priority bands) may hold anything, read once per script
-- run: a queue with neither (the common case) skips their two reads on every claim. Whatever
-- adds to them in this run sets it (schedule, push_pending).
local sorted_sets_used
local function sorted_sets_may_hold()
  if sorted_sets_used == nil then sorted_sets_used = redis.call('EXISTS', Q.scheduled, Q.pending) > 0 end
  return sorted_sets_used
end

-- For a queue with nothing pending, before its supervisor blocks on Q.wake: 0 when a scheduled
-- task is due now; otherwise the stale wake tokens are dropped (any later enqueue, retry or
-- earlier schedule pushes a fresh one, so no wakeup is lost) and the result is the ms until the
-- next scheduled task, or -1 when none is scheduled. A run that already found Q.scheduled
-- empty (sorted_sets_may_hold) does not read it again.
local function drained_wait(now)
  local first = {}
  if sorted_sets_used ~= false then first = redis.call('ZRANGE', Q.scheduled, 0, 0, 'WITHSCORES') end
  if #first > 0 and tonumber(first[2]) <= now then return 0 end
  redis.call('DEL', Q.wake)
  if #first > 0 then return tonumber(first[2]) - now end
  return -1
end

-- Adds a task to the scheduled set; wakes a supervisor when it is the new earliest one, so
-- blocked supervisors recompute their timeout.
local function schedule(id, run_at)
  local first = redis.call('ZRANGE', Q.scheduled, 0, 0, 'WITHSCORES')
  redis.call('ZADD', Q.scheduled, fmt(run_at), id)
  sorted_sets_used = true
  if #first == 0 or tonumber(first[2]) >= run_at then wake() end
end

-- Pending tasks live in two keys: priority 0 (the common case) in Q.pendingList, a LIST in FIFO
-- order at ~25 bytes a task; every other priority in Q.pending, a ZSET of priority bands at
-- ~130 bytes a task. Claim order: priorities above 0, then the list, then priorities below 0.

-- List entries leave out the '<queue>:' every id of the queue starts with (keys.ts makeTaskId).
local id_prefix
local function queue_id_prefix()
  id_prefix = id_prefix or (string.match(Q.pendingList, '{(.-)}') .. ':')
  return id_prefix
end
local function list_entry(id) return string.sub(id, #queue_id_prefix() + 1) end
local function list_id(entry) return queue_id_prefix() .. entry end

-- Adds a task to pending: at the back of its priority band, or with `front` at the front (a
-- requeue or a recovery: ahead of every task of its band).
local function push_pending(id, priority, front)
  if priority == 0 then
    redis.call(front and 'LPUSH' or 'RPUSH', Q.pendingList, list_entry(id))
  elseif front then
    sorted_sets_used = true
    local fseq = redis.call('HINCRBY', Q.counters, 'fseq', 1)
    redis.call('ZADD', Q.pending, fmt(front_score(priority, fseq)), id)
  else
    sorted_sets_used = true
    local seq = redis.call('HINCRBY', Q.counters, 'seq', 1)
    redis.call('ZADD', Q.pending, fmt(pending_score(priority, seq)), id)
  end
end

-- Removes a pending task from whichever key holds it. LREM scans the list: O(pending), paid
-- only by cancelling or deleting a pending priority-0 task.
local function remove_pending(id)
  if redis.call('ZREM', Q.pending, id) == 0 then redis.call('LREM', Q.pendingList, 1, list_entry(id)) end
end

local function has_pending()
  return redis.call('LLEN', Q.pendingList) > 0 or redis.call('ZCARD', Q.pending) > 0
end

local function count_pending()
  return redis.call('LLEN', Q.pendingList) + redis.call('ZCARD', Q.pending)
end

-- The ids of an LPOP of Q.pendingList (false when it was empty).
local function list_ids(entries)
  local ids = {}
  if entries then for i, entry in ipairs(entries) do ids[i] = list_id(entry) end end
  return ids
end

-- Pops up to `count` pending ids in claim order. Fewer than `count` means nothing is left
-- pending: each source was asked for the rest and gave less.
local function pop_pending(count)
  if not sorted_sets_may_hold() then return list_ids(redis.call('LPOP', Q.pendingList, count)) end
  -- Scores below band 0's start belong to priorities above 0.
  local ids = redis.call('ZRANGEBYSCORE', Q.pending, '-inf', '(' .. fmt(pending_score(0, -C.FIFO_OFFSET)),
    'LIMIT', 0, count)
  if #ids > 0 then redis.call('ZREM', Q.pending, unpack(ids)) end
  if #ids < count then
    for _, id in ipairs(list_ids(redis.call('LPOP', Q.pendingList, count - #ids))) do ids[#ids + 1] = id end
  end
  if #ids < count then
    -- Priorities below 0 (and priority-0 entries a version before the list left in the ZSET).
    local low = redis.call('ZPOPMIN', Q.pending, count - #ids)
    for i = 1, #low, 2 do ids[#ids + 1] = low[i] end
  end
  return ids
end
