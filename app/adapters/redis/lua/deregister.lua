-- A node stops cleanly: its users leave (their sessions wait the grace, resumable on any
-- other node) and its name is free. ARGV ts
if redis.call('EXISTS', ROOM) == 0 then return {'lost'} end
if redis.call('HGET', P .. 'incarnations', NODE) ~= INC then return {'fenced'} end
reap(NODE, now_ms(), ARGV[6])
redis.call('DEL', P .. 'alive:' .. NODE)
return {'ok'}
