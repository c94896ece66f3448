-- purge-dead: delete the oldest C.TRIM_BATCH dead (failed) tasks and their keys.
-- KEYS: failed taskPrefix eventsPrefix idemPrefix
-- CHANNELS: (none)
-- ARGV: (none)
-- Returns: the number of entries removed (call again until it is below C.TRIM_BATCH)
--@include common
--@include finish

local ids = redis.call('ZRANGE', Q.failed, 0, C.TRIM_BATCH - 1)
delete_task_keys(ids)
if #ids > 0 then redis.call('ZREM', Q.failed, unpack(ids)) end
return #ids
