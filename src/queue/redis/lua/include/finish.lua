-- finish.lua: terminal transitions, retention and trimming (needs common).
-- Uses Q.active, Q.completed / Q.failed / Q.cancelled (whichever the state needs), Q.defaults,
-- Q.counters, Q.stats, Q.throughput, Q.taskPrefix, Q.eventsPrefix, Q.idemPrefix, CH.donePrefix, CH.notifyPrefix.

-- Releases a task's idempotency key when it still points to the task.
local function release_idem(id)
  local idem = redis.call('HGET', Q.taskPrefix .. id, 'idem')
  if idem and idem ~= '' then
    local ik = Q.idemPrefix .. idem
    if redis.call('GET', ik) == id then redis.call('DEL', ik) end
  end
end

-- Whether a task of this queue was ever enqueued with an idempotency key (enqueue-core marks it).
-- Tasks of a queue never marked hold none, so trimming them reads nothing more: one call per
-- task. (A key left by a version before the mark expires with its task's TTL, and an enqueue
-- that finds it pointing to a deleted task creates the task anew.)
local function idem_used()
  return redis.call('HGET', Q.counters, 'idem') ~= false
end

-- Deletes every key of the given tasks (one DEL) and releases their idempotency keys, unless
-- `no_idem` says none of them has one.
local function delete_task_keys(ids, no_idem)
  local keys = {}
  for _, id in ipairs(ids) do
    if not no_idem then release_idem(id) end
    keys[#keys + 1] = Q.taskPrefix .. id
    keys[#keys + 1] = Q.eventsPrefix .. id
  end
  if #keys > 0 then redis.call('DEL', unpack(keys)) end
end

-- Retention sets are scored by expiry: drop entries whose keys already expired (TTL), then
-- delete the oldest beyond `keep`, at most C.TRIM_BATCH per call. finish_task calls it once
-- every keep/100 finishes (every finish for keep < 200), and it deletes only once 1% of `keep`
-- is in excess: a full set costs one trim per keep/100 finishes instead of one per finish.
-- 1% of `keep` (at least 1, at most C.TRIM_BATCH): how often to trim, and the excess to wait for.
local function trim_step(keep)
  return math.max(1, math.min(C.TRIM_BATCH, math.floor(keep / 100)))
end

local function trim_finished(set, keep, now)
  redis.call('ZREMRANGEBYSCORE', set, '-inf', fmt(now))
  local excess = redis.call('ZCARD', set) - keep
  if excess >= trim_step(keep) then
    local ids = redis.call('ZRANGE', set, 0, math.min(excess, C.TRIM_BATCH) - 1)
    delete_task_keys(ids, not idem_used())
    redis.call('ZREM', set, unpack(ids))
  end
end

-- Per-minute counters (kind 'c' completed, 'f' failed), C.THROUGHPUT_MINUTES kept; adds n.
local function count_throughput(kind, now, n)
  local minute = math.floor(now / 60000)
  local old = minute - C.THROUGHPUT_MINUTES
  -- Old minutes are dropped only when a new minute's field is created (its first count).
  if redis.call('HINCRBY', Q.throughput, kind .. ':' .. minute, n) > n then return end
  redis.call('HDEL', Q.throughput, 'c:' .. old, 'f:' .. old)
  if redis.call('HLEN', Q.throughput) > 4 * C.THROUGHPUT_MINUTES then
    for _, field in ipairs(redis.call('HKEYS', Q.throughput)) do
      local m = tonumber(string.sub(field, 3))
      if m == nil or m <= old then redis.call('HDEL', Q.throughput, field) end
    end
  end
end

-- A task enqueued by client.run carries its client's notify tag: announce the done message
-- there too, as '<id>\n<message>' (run-notifier.ts). `known` as for finish_task, or nil.
local function announce(id, message, known)
  local tag
  if known then tag = known.notify else tag = redis.call('HGET', Q.taskPrefix .. id, 'notify') end
  if tag then redis.call('PUBLISH', CH.notifyPrefix .. tag, id .. '\n' .. message) end
end

-- What finishing tasks writes once for all of them (the active and retention sets, counters,
-- trimming): finish_task gathers it in a batch when given one, and flush_finished writes it.
-- A script that finishes several tasks (complete-many.lua) then makes those calls once.
local function finish_batch()
  return {ids = {}, scored = {}}
end

local function flush_finished(batch, now)
  local n = #batch.ids
  if n == 0 then return end
  redis.call('ZREM', Q.active, unpack(batch.ids))
  redis.call('ZADD', batch.set, unpack(batch.scored))
  local finished = redis.call('HINCRBY', Q.stats, batch.state, n)
  if batch.state == 'completed' then count_throughput('c', now, n) end
  if batch.state == 'failed' then count_throughput('f', now, n) end
  -- Trimming every `step` finishes keeps a retention set within 1% of `keep` (exact below 200).
  local step = trim_step(batch.keep)
  if math.floor(finished / step) ~= math.floor((finished - n) / step) then
    trim_finished(batch.set, batch.keep, now)
  end
end

-- Moves a task to 'completed', 'failed' (dead) or 'cancelled'. `fields` are extra HSET pairs.
-- Sets TTLs on the task, its events and its idempotency key (cancel releases the key), adds it
-- to the retention set, trims, counts, appends an 'end' event and publishes on CH.donePrefix..id.
-- The caller removes the task from pending / scheduled. `known` (optional) carries what the
-- caller already read of the task, saving reads on the hot path: {idem = , resultTtlMs = ,
-- events = , notify = } (false when the field is absent; events: the 'ev' flag), `hdel`, fields to
-- delete, and `result`, a result JSON to publish with the state when it is small. Without
-- `known`, owner and leaseUntil are deleted; with it they stay (readers show them only while a
-- task is active) and the task is read nothing more. With `batch` (finish_batch(), every task of
-- it finished to the same state), the set and counter writes wait for flush_finished.
local function finish_task(id, state, now, fields, known, batch)
  local tk = Q.taskPrefix .. id
  local ttl, keep, set
  if state == 'failed' then
    ttl = queue_default('failedTtlMs', C.FAILED_TTL_MS)
    keep = queue_default('keepFailed', C.KEEP_FAILED)
    set = Q.failed
  else
    local own
    if known then own = known.resultTtlMs else own = redis.call('HGET', tk, 'resultTtlMs') end
    ttl = tonumber(own) or queue_default('resultTtlMs', C.RESULT_TTL_MS)
    keep = queue_default('keepCompleted', C.KEEP_COMPLETED)
    if state == 'completed' then set = Q.completed else set = Q.cancelled end
  end
  redis.call('HSET', tk, 'state', state, 'finishedAt', fmt(now), 'expiresAt', fmt(now + ttl), unpack(fields))
  if not known then
    redis.call('HDEL', tk, 'owner', 'leaseUntil')
  elseif known.hdel then
    redis.call('HDEL', tk, unpack(known.hdel))
  end
  -- A stream exists only when the task reported progress or partial output, or a client watches
  -- it (events-watch.lua); both set the task's 'ev' flag. Only then is there anyone to tell.
  local ev = Q.eventsPrefix .. id
  if (not known or known.events) and redis.call('EXISTS', ev) == 1 then
    redis.call('XADD', ev, 'MAXLEN', '~', queue_default('eventsMaxLen', C.EVENTS_MAX_LEN), '*', 't', 'end', 'd', state)
    redis.call('PEXPIRE', ev, ttl)
  end
  redis.call('PEXPIRE', tk, ttl)
  local idem
  if known then idem = known.idem else idem = redis.call('HGET', tk, 'idem') end
  if idem and idem ~= '' then
    local ik = Q.idemPrefix .. idem
    if redis.call('GET', ik) == id then
      if state == 'cancelled' then redis.call('DEL', ik) else redis.call('PEXPIRE', ik, ttl) end
    end
  end
  local b = batch or finish_batch()
  b.state, b.set, b.keep = state, set, keep
  b.ids[#b.ids + 1] = id
  b.scored[#b.scored + 1] = fmt(now + ttl)
  b.scored[#b.scored + 1] = id
  if not batch then flush_finished(b, now) end
  -- 'completed\n<result>' lets a waiting client.run resolve without reading the task.
  local message = state
  if known and known.result and #known.result <= C.DONE_RESULT_MAX then message = state .. '\n' .. known.result end
  redis.call('PUBLISH', CH.donePrefix .. id, message)
  announce(id, message, known)
end
