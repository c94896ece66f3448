-- enqueue: create one task, pending or scheduled, unless its id or idempotency key is taken.
-- KEYS: pending pendingList scheduled defaults counters wake taskPrefix idemPrefix active idle inboxPrefix
-- CHANNELS: (none)
-- ARGV: 1 id, 2 queue, 3 payload JSON, 4 priority, 5 delayMs, 6 runAt epoch ms ('' = none),
--       7 maxRetries ('' = queue default), 8 timeoutMs (''), 9 backoff type ('' = queue default
--       backoff), 10 backoff baseMs, 11 backoff maxMs, 12 backoff jitter (1/0),
--       13 resultTtlMs (''), 14 idempotency key (''), 15 type (''), 16 meta JSON (''),
--       17 (optional) a notify tag: finishing announces the task on CH.notifyPrefix .. tag
--       (client.run, run-notifier.ts)
-- A pending task is handed straight to a supervisor waiting on the empty queue when there is
-- one (dispatch.lua), else a wake token is pushed.
-- Returns: {1, id, state} when created; {0, existing id, its state} when the id or the
--          idempotency key matched a task that is still kept.
--@include common
--@include enqueue-core
--@include dispatch

local now = now_ms()
local reply, added = enqueue_one(A, now, hand_off)
if added then wake() end
return reply
