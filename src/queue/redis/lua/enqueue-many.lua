-- enqueue-many: enqueue.lua for several tasks of one queue in one call: one clock read, one
-- read of the queue's defaults and at most one wake token for the whole batch. Compact on the
-- wire both ways: 3 arguments per task instead of 16, and one flag per created task.
-- KEYS: pending pendingList scheduled defaults counters wake taskPrefix idemPrefix
-- CHANNELS: (none)
-- ARGV: per task 3 values: id, payload JSON, options: '' when every option is at its default,
--       else a JSON array of enqueue.lua's arguments 4-16, as strings
-- Returns: {flags, not created}: flags has one character per task, in order, '1' when created;
--          not created lists {index (1-based), existing id, its state} for every other task
--@include common
--@include enqueue-core

if #A % 3 ~= 0 then
  return redis.error_reply('DROVER_BAD_ARG enqueue-many takes 3 arguments per task, got ' .. #A)
end
local now = now_ms()
local flags, others, woke = {}, {}, false
local list_batch = {} -- priority-0 entries, pushed together below (one call instead of one per task)
for i = 1, #A, 3 do
  local args
  if A[i + 2] == '' then
    args = {A[i], '', A[i + 1], '0', '0', '', '', '', '', '', '', '', '', '', '', ''}
  else
    args = {A[i], '', A[i + 1], unpack(cjson.decode(A[i + 2]))}
    if #args ~= 16 then
      return redis.error_reply('DROVER_BAD_ARG enqueue-many options must list 13 values, got ' .. (#args - 3))
    end
  end
  local reply, added = enqueue_one(args, now, nil, list_batch)
  if reply[1] == 1 then
    flags[#flags + 1] = '1'
  else
    flags[#flags + 1] = '0'
    others[#others + 1] = {(i + 2) / 3, reply[2], reply[3]}
  end
  if added then woke = true end
end
for i = 1, #list_batch, C.PUSH_BATCH do
  redis.call('RPUSH', Q.pendingList, unpack(list_batch, i, math.min(#list_batch, i + C.PUSH_BATCH - 1)))
end
if woke then wake() end
return {table.concat(flags), others}
