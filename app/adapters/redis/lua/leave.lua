-- The connection of a session this node holds is gone: ARGV sid, hello, how ('quit' ends the
-- session, 'drop' keeps it for the resume grace), reason, goodbye ('' for none), ts
local prior = replayed() if prior then return prior end
local refused = check_room_and_fence() if refused then return refused end
local sid, hello, how, reason, goodbye, ts = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
-- Taken over meanwhile (on another node, or by a newer connection here): that takeover
-- announced it; nothing to say here.
if not held_here(sid, hello) then return done({'gone'}) end
if how == 'drop' then
  drop_session(sid, now_ms(), ts, reason)
  return done({'ok'})
end
local nick = redis.call('HGET', session_key(sid), 'nick')
end_session(sid)
local fields = {'k', 'leave', 'sid', sid, 'nick', nick, 'reason', reason, 'ts', ts}
if goodbye ~= '' then table.insert(fields, 'msg') table.insert(fields, goodbye) end
append(fields, false)
return done({'ok'})
