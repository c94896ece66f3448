-- idle-leave: a supervisor stops waiting on a queue it registered idle on (claim.lua,
-- dispatch.lua): its entries leave Q.idle, and the tasks an enqueue leased to it meanwhile are
-- taken from its inbox.
-- KEYS: idle inboxPrefix
-- CHANNELS: (none)
-- ARGV: 1 supervisor id
-- Returns: the claim rows found in its inbox, as JSON strings (see claim-core), oldest first
--@include common
--@include claim-core
--@include dispatch

for _, entry in ipairs(redis.call('LRANGE', Q.idle, 0, -1)) do
  if entry_owner(entry) == A[1] then redis.call('LREM', Q.idle, 0, entry) end
end
local inbox = Q.inboxPrefix .. A[1]
local rows = redis.call('LRANGE', inbox, 0, -1)
if #rows > 0 then redis.call('DEL', inbox) end
return rows
