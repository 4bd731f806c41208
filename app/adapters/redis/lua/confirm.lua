-- The client has its new token: the one it resumed with is spent. ARGV sid
local sid = ARGV[6]
local prev = redis.call('HGET', session_key(sid), 'prev')
if prev then
  if redis.call('GET', P .. 'token:' .. prev) == sid then redis.call('DEL', P .. 'token:' .. prev) end
  redis.call('HDEL', session_key(sid), 'prev')
end
return {'ok'}
