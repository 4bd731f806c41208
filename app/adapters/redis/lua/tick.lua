-- Once a second from every node: ARGV timeout_ms, grace_ms, max_waiting, ts.
-- Heartbeats this node, declares dead the nodes whose heartbeat ran out, ends the dropped
-- sessions whose grace ran out. Answers {'ok', epoch, reaped nodes...}.
local refused = check_room_and_fence() if refused then return refused end
local timeout, grace, max_waiting, ts = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), ARGV[9]
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
local result = {'ok', redis.call('HGET', ROOM, 'epoch')}
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
