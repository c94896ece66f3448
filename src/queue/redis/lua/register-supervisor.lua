-- register-supervisor: heartbeat of one supervisor: its info key with a TTL and its entry in
-- the registry (scored by expiry); expired registry entries are dropped.
-- KEYS: registry infoPrefix
-- CHANNELS: (none)
-- ARGV: 1 supervisor id, 2 info JSON, 3 ttlMs
-- Returns: the expiry (ms, server time)
--@include common

local now = now_ms()
local ttl = tonumber(A[3])
redis.call('SET', Q.infoPrefix .. A[1], A[2], 'PX', ttl)
redis.call('ZADD', Q.registry, fmt(now + ttl), A[1])
redis.call('ZREMRANGEBYSCORE', Q.registry, '-inf', fmt(now))
return fmt(now + ttl)
