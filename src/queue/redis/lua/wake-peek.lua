-- wake-peek: before a supervisor blocks on Q.wake: is there work now, and when is the next
-- scheduled task due? When there is no work the stale wake tokens are dropped (the caller then
-- blocks; any later enqueue pushes a fresh token, so no wakeup is lost).
-- KEYS: pending pendingList scheduled wake
-- CHANNELS: (none)
-- ARGV: (none)
-- Returns: {1, 0} when work is available now; {0, ms until the next scheduled task or -1}
--@include common

if has_pending() then return {1, 0} end
local wait = drained_wait(now_ms())
if wait == 0 then return {1, 0} end
return {0, fmt(wait)}
