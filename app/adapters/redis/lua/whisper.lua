-- A private message to whoever is online under a folded nick: ARGV sid, hello, to_fold, text, ts
local prior = replayed() if prior then return prior end
local refused = check_room_and_fence() if refused then return refused end
local sid, hello, to_fold, text, ts = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
if not held_here(sid, hello) then return done({'gone'}) end
local rsid = redis.call('HGET', P .. 'online', to_fold)
if not rsid then return done({'nouser'}) end
local id = append({'k', 'priv', 'from', redis.call('HGET', session_key(sid), 'nick'), 'fs', sid,
                   'to', redis.call('HGET', session_key(rsid), 'nick'), 'rs', rsid,
                   'text', text, 'ts', ts}, true)
redis.call('HINCRBY', ROOM, 'private', 1)
return done({'ok', tostring(id)})
