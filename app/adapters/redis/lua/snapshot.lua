-- Where the room stands, read in one step: {epoch, last stream id, public, private,
-- origin (where this room's stream starts), public and private totals at the origin, then
-- sid, nick pairs of everyone online}. {'lost'} if Redis holds no room.
if redis.call('EXISTS', ROOM) == 0 then return {'lost'} end
local f = redis.call('HMGET', ROOM, 'epoch', 'last_ms', 'last_seq', 'public', 'private',
                     'origin', 'origin_public', 'origin_private')
local result = {f[1], f[2] .. '-' .. f[3], f[4], f[5], f[6], f[7], f[8]}
local online = redis.call('HGETALL', P .. 'online')
for i = 2, #online, 2 do
  table.insert(result, online[i])
  table.insert(result, redis.call('HGET', session_key(online[i]), 'nick'))
end
return result
