-- A nick change: ARGV sid, hello, nick, key, fold, ts. Answers {'taken'} if another holds the nick.
local prior = replayed() if prior then return prior end
local refused = check_room_and_fence() if refused then return refused end
local sid, hello, nick, key, fold, ts = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
if not held_here(sid, hello) then return done({'gone'}) end
local s = session_key(sid)
local holder = redis.call('HGET', P .. 'nicks', key)
if holder and holder ~= sid and redis.call('EXISTS', session_key(holder)) == 1 then
  return done({'taken'})
end
local f = redis.call('HMGET', s, 'nick', 'key', 'fold')
if redis.call('HGET', P .. 'nicks', f[2]) == sid then redis.call('HDEL', P .. 'nicks', f[2]) end
if redis.call('HGET', P .. 'online', f[3]) == sid then redis.call('HDEL', P .. 'online', f[3]) end
redis.call('HSET', P .. 'nicks', key, sid)
redis.call('HSET', P .. 'online', fold, sid)
redis.call('HSET', s, 'nick', nick, 'key', key, 'fold', fold)
append({'k', 'nick', 'sid', sid, 'old', f[1], 'new', nick, 'ts', ts}, false)
return done({'ok', f[1]})
