-- A new session under a nick, if the nick is free: ARGV sid, nick, key, fold, token, hello, ts
local prior = replayed() if prior then return prior end
local refused = check_room_and_fence() if refused then return refused end
local sid, nick, key, fold, token, hello, ts = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11], ARGV[12]
local holder = redis.call('HGET', P .. 'nicks', key)
if holder and redis.call('EXISTS', session_key(holder)) == 1 then return done({'taken'}) end
local first = redis.call('HGET', ROOM, 'last_ms')
redis.call('HSET', P .. 'nicks', key, sid)
redis.call('HSET', P .. 'online', fold, sid)
redis.call('HSET', session_key(sid), 'nick', nick, 'key', key, 'fold', fold, 'token', token,
           'node', NODE, 'inc', INC, 'state', 'on', 'first', first, 'hello', hello)
redis.call('SET', P .. 'token:' .. token, sid)
redis.call('SADD', P .. 'node:' .. NODE, sid)
append({'k', 'join', 'sid', sid, 'nick', nick, 'node', NODE, 'hello', hello, 'resumed', '0',
        'first', first, 'ts', ts}, false)
return done({'ok', first})
