-- dispatch.lua: handing a new task straight to a supervisor that waits on an empty queue (needs
-- common and claim-core). Uses Q.idle, Q.inboxPrefix and what claim_tasks uses.
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

-- Right after an enqueue made a task pending: when it is the only pending task and a supervisor
-- waits, lease it to that supervisor and push the claim row (JSON) on its inbox. Returns true
-- when it did (no wake token is needed then).
local function dispatch(now)
  if redis.call('LLEN', Q.idle) == 0 or count_pending() ~= 1 then return false end
  for _ = 1, C.DISPATCH_SCAN do
    local entry = redis.call('LPOP', Q.idle)
    if not entry then return false end
    local expires, lease_ms, slots, owner = string.match(entry, '^(%d+) (%d+) (%d+) (%S+)$')
    if expires and tonumber(expires) > now then
      local rows = claim_tasks(now, owner, tonumber(lease_ms), 1, false)
      if #rows == 0 then -- the pending entry was stale: the supervisor keeps its turn
        redis.call('LPUSH', Q.idle, entry)
        return false
      end
      local inbox = Q.inboxPrefix .. owner
      redis.call('RPUSH', inbox, cjson.encode(rows[1]))
      redis.call('PEXPIRE', inbox, lease_ms)
      if tonumber(slots) > 1 then
        redis.call('RPUSH', Q.idle, expires .. ' ' .. lease_ms .. ' ' .. (tonumber(slots) - 1) .. ' ' .. owner)
      end
      return true
    end
  end
  return false
end
