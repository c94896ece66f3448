-- stats: counts per state (retention sets count only entries not yet expired), totals and
-- per-minute throughput counters of one queue. Read-only.
-- KEYS: pending pendingList scheduled active completed failed cancelled stats throughput
-- CHANNELS: (none)
-- ARGV: (none)
-- Returns: {now, {pending, scheduled, active, completed, failed, cancelled}, stats HGETALL,
--          throughput HGETALL}
--@include common

local now = now_ms()
local live = fmt(now + 1)
return {
  fmt(now),
  {
    count_pending(),
    redis.call('ZCARD', Q.scheduled),
    redis.call('ZCARD', Q.active),
    redis.call('ZCOUNT', Q.completed, live, '+inf'),
    redis.call('ZCOUNT', Q.failed, live, '+inf'),
    redis.call('ZCOUNT', Q.cancelled, live, '+inf'),
  },
  redis.call('HGETALL', Q.stats),
  redis.call('HGETALL', Q.throughput),
}
