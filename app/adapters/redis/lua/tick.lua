-- Once a second from every node: ARGV timeout_ms, grace_ms, max_waiting, ts, and the
-- position this node has read up to (ms, seq).
-- Heartbeats this node, declares dead the nodes whose heartbeat ran out, ends the dropped
-- sessions whose grace ran out. Answers {'ok', epoch, rolled back '0'/'1', reaped nodes...}.
local refused = check_room_and_fence() if refused then return refused end
local timeout, grace, max_waiting, ts = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
local seen_ms, seen_seq = tonumber(ARGV[10]), tonumber(ARGV[11])
local now = now_ms()
local last_tick = tonumber(redis.call('GET', P .. 'tick') or now)
local names = redis.call('HKEYS', P .. 'incarnations')
if now - last_tick > 1500 then
  -- Nobody reached Redis for a beat and a half: Redis itself was away (stopped,
  -- restarting), not every node at once. Every node gets a fresh timeout instead of being
  -- declared dead for the time nobody could beat.
  for _, name in ipairs(names) do
    redis.call('SET', P .. 'alive:' .. name, '1', 'PX', timeout)
  end
end
redis.call('SET', P .. 'tick', now)
redis.call('SET', P .. 'alive:' .. NODE, '1', 'PX', timeout)
-- Redis behind what this node has read (restarted from an older snapshot, or a replica
-- that had not got the last writes): the room's position is raised to what the node saw,
-- so that no id it has seen is given again.
local rolled_back = '0'
local f = redis.call('HMGET', ROOM, 'last_ms', 'last_seq')
if tonumber(f[1]) < seen_ms or (tonumber(f[1]) == seen_ms and tonumber(f[2]) < seen_seq) then
  redis.call('HSET', ROOM, 'last_ms', seen_ms, 'last_seq', seen_seq)
  rolled_back = '1'
end
local result = {'ok', redis.call('HGET', ROOM, 'epoch'), rolled_back}
table.sort(names)
for _, name in ipairs(names) do
  if redis.call('EXISTS', P .. 'alive:' .. name) == 0 then
    reap(name, now, ts)
    table.insert(result, name)
  end
end
for _, sid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'dropped', '-inf', now - grace)) do
  end_session(sid)
end
local waiting = redis.call('ZCARD', P .. 'dropped')
if waiting > max_waiting then
  for _, sid in ipairs(redis.call('ZRANGE', P .. 'dropped', 0, waiting - max_waiting - 1)) do
    end_session(sid)
  end
end
return result
