-- unregister-supervisor: remove a supervisor from the registry (clean shutdown).
-- KEYS: registry infoPrefix
-- CHANNELS: (none)
-- ARGV: 1 supervisor id
-- Returns: 1
redis.call('ZREM', Q.registry, A[1])
redis.call('DEL', Q.infoPrefix .. A[1])
return 1
