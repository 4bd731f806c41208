-- A public message from a session this node holds: ARGV sid, hello, text, ts
local prior = replayed() if prior then return prior end
local refused = check_room_and_fence() if refused then return refused end
local sid, hello, text, ts = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
if not held_here(sid, hello) then return done({'gone'}) end
local id = append({'k', 'pub', 'from', redis.call('HGET', session_key(sid), 'nick'),
                   'fs', sid, 'text', text, 'ts', ts}, true)
redis.call('HINCRBY', ROOM, 'public', 1)
return done({'ok', tostring(id)})
