-- Where the room stands, read in one step: {epoch, last stream id, public, private, floor,
-- then sid, nick pairs of everyone online}. {'lost'} if Redis holds no room.
if redis.call('EXISTS', ROOM) == 0 then return {'lost'} end
local f = redis.call('HMGET', ROOM, 'epoch', 'last_ms', 'last_seq', 'public', 'private', 'floor')
local result = {f[1], f[2] .. '-' .. f[3], f[4], f[5], f[6]}
local online = redis.call('HGETALL', P .. 'online')
for i = 2, #online, 2 do
  table.insert(result, online[i])
  table.insert(result, redis.call('HGET', session_key(online[i]), 'nick'))
end
return result
