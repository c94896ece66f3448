-- dispatch.lua: handing a new task straight to a supervisor that waits on an empty queue (needs
-- common). Uses Q.idle, Q.inboxPrefix, Q.counters, Q.active and Q.taskPrefix.
--
-- A single-queue supervisor whose claim drained the queue registers in Q.idle (claim.lua) and
-- blocks on BLPOP over Q.wake and its inbox Q.inboxPrefix .. id. The next enqueue leases the task
-- to it, as its claim would, and pushes the claim row on that inbox: the supervisor's BLPOP
-- returns the task itself, and the claim round trip after a wakeup is saved. The supervisor
-- leaves Q.idle when it stops waiting for any other reason (idle-leave.lua), taking what was
-- pushed meanwhile. An entry expires (a supervisor that died); a task pushed to a supervisor
-- that died comes back when its lease expires, as any task of a dead supervisor.

-- Entries are "<expiresAt> <leaseMs> <slots> <supervisor id>" (ids never contain spaces): the
-- supervisor takes `slots` more tasks; a hand-off puts the entry back at the end with one slot
-- less, so idle supervisors take turns. One entry per supervisor: registering replaces its own.
local function entry_owner(entry) return string.match(entry, '^%d+ %d+ %d+ (%S+)$') end

local function register_idle(now, owner, lease_ms, ttl_ms, slots)
  for _, entry in ipairs(redis.call('LRANGE', Q.idle, 0, -1)) do
    if entry_owner(entry) == owner then redis.call('LREM', Q.idle, 0, entry) end
  end
  redis.call('RPUSH', Q.idle, fmt(now + ttl_ms) .. ' ' .. fmt(lease_ms) .. ' ' .. slots .. ' ' .. owner)
end

-- The first live idle entry, popped (expired ones are dropped on the way, up to C.DISPATCH_SCAN)
-- and put back at the end with one slot less when it has more: its owner and lease ms, or nil.
-- Only while nothing is pending: a hand-off never passes a pending task.
local function take_idle_entry(now)
  for _ = 1, C.DISPATCH_SCAN do
    local entry = redis.call('LPOP', Q.idle)
    if not entry then return nil end
    local expires, lease_ms, slots, owner = string.match(entry, '^(%d+) (%d+) (%d+) (%S+)$')
    if expires and tonumber(expires) > now then
      if has_pending() then -- the supervisor keeps its turn: work is there to claim
        redis.call('LPUSH', Q.idle, entry)
        return nil
      end
      if tonumber(slots) > 1 then
        redis.call('RPUSH', Q.idle, expires .. ' ' .. lease_ms .. ' ' .. (tonumber(slots) - 1) .. ' ' .. owner)
      end
      return owner, tonumber(lease_ms)
    end
  end
  return nil
end

-- An enqueue about to make task `id` pending (`h`: its hash fields; `t`: {payload, type,
-- maxRetry, timeoutMs, meta}) stores it leased to a supervisor that waits on the empty queue
-- instead, exactly as that supervisor's claim would have (state, fencing token, lease in
-- Q.active; claim_tasks), and pushes the claim row (JSON) on its inbox. The task never enters
-- the pending list: one hash write, and no pop and read back. Returns true when it did (no wake
-- token is needed then).
local function hand_off(now, id, h, t)
  local owner, lease_ms = take_idle_entry(now)
  if not owner then return false end
  local token = redis.call('HINCRBY', Q.counters, 'token', 1)
  local lease_until = fmt(now + lease_ms)
  h[2] = 'active'
  local n = #h
  h[n + 1] = 'token'; h[n + 2] = token; h[n + 3] = 'owner'; h[n + 4] = owner
  h[n + 5] = 'startedAt'; h[n + 6] = fmt(now); h[n + 7] = 'leaseUntil'; h[n + 8] = lease_until
  h[n + 9] = 'attempts'; h[n + 10] = 1
  redis.call('HSET', Q.taskPrefix .. id, unpack(h))
  redis.call('ZADD', Q.active, lease_until, id)
  -- The row claim_tasks returns, with the same string forms as values read back from the hash.
  local timeout = '0'
  if tonumber(t[4]) ~= 0 then timeout = tostring(t[4]) end
  local row = {id, t[1], t[2], '0', tostring(t[3]), timeout, t[5], token, lease_until, fmt(now), fmt(now), 1}
  local inbox = Q.inboxPrefix .. owner
  redis.call('RPUSH', inbox, cjson.encode(row))
  redis.call('PEXPIRE', inbox, lease_ms)
  return true
end
