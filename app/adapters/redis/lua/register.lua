-- A node starts (or, fenced, starts over) as a new incarnation: ARGV timeout_ms, ts, epoch
-- for a new room, and the incarnation this node had before ('' at start). The room is
-- created if Redis holds none. An earlier incarnation of the same name that still beats is
-- another node with this name: {'taken'}. One that no longer beats (or this node's own
-- earlier one) is dead: its users leave first. Answers {'ok', epoch, new room?}.
local timeout, ts, epoch, previous = tonumber(ARGV[6]), ARGV[7], ARGV[8], ARGV[9]
local holder = redis.call('HGET', P .. 'incarnations', NODE)
if holder and holder ~= previous and redis.call('EXISTS', P .. 'alive:' .. NODE) == 1 then
  return {'taken'}
end
local created = '0'
if redis.call('EXISTS', ROOM) == 0 then
  redis.call('HSET', ROOM, 'last_ms', 0, 'last_seq', 0, 'public', 0, 'private', 0,
             'epoch', epoch, 'floor', 0, 'origin', '0-0', 'origin_public', 0,
             'origin_private', 0)
  created = '1'
end
if redis.call('HEXISTS', P .. 'incarnations', NODE) == 1 then reap(NODE, now_ms(), ts) end
redis.call('HSET', P .. 'incarnations', NODE, INC)
redis.call('SET', P .. 'alive:' .. NODE, '1', 'PX', timeout)
redis.call('SET', P .. 'tick', now_ms())
return {'ok', redis.call('HGET', ROOM, 'epoch'), created}
