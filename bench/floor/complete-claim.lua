-- The floor's one call per task: store the result, count it, claim up to n next task lines.
-- KEYS: 1 pending (LIST), 2 done (counter)
-- ARGV: 1 task id, 2 result JSON, 3 n to claim, 4 result key prefix
-- Returns: the claimed task lines (or nil)
redis.call('SET', ARGV[4] .. ARGV[1], ARGV[2], 'PX', 3600000)
redis.call('INCR', KEYS[2])
local n = tonumber(ARGV[3])
if n > 0 then return redis.call('LPOP', KEYS[1], n) end
return false
