-- enqueue-many: enqueue.lua for several tasks of one queue in one call: one clock read, one
-- read of the queue's defaults and at most one wake token for the whole batch.
-- KEYS: pending pendingList scheduled defaults counters wake taskPrefix idemPrefix
-- CHANNELS: (none)
-- ARGV: the 16 arguments of enqueue.lua, once per task, back to back
-- Returns: one {created, id, state} per task, in order
--@include common
--@include enqueue-core

if #A % 16 ~= 0 then
  return redis.error_reply('DROVER_BAD_ARG enqueue-many takes 16 arguments per task, got ' .. #A)
end
local now = now_ms()
local out, woke = {}, false
for i = 1, #A, 16 do
  local reply, added = enqueue_one({unpack(A, i, i + 15)}, now)
  out[#out + 1] = reply
  if added then woke = true end
end
if woke then wake() end
return out
