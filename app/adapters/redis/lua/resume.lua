-- The session a resume token names, taken over by this node (wherever it was held):
-- ARGV used, new_token, hello, ts. Answers {'unknown'} for a token that resumes nothing.
local prior = replayed() if prior then return prior end
local refused = check_room_and_fence() if refused then return refused end
local used, token, hello, ts = ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local sid = redis.call('GET', P .. 'token:' .. used)
if not sid or redis.call('EXISTS', session_key(sid)) == 0 then return done({'unknown'}) end
local s = session_key(sid)
local f = redis.call('HMGET', s, 'nick', 'fold', 'token', 'prev', 'node', 'state', 'first')
if f[6] == 'on' then
  -- Still held elsewhere (a half-open connection, or a node not yet declared dead): that
  -- holder is replaced, and the others see it leave before it comes back.
  redis.call('SREM', P .. 'node:' .. f[5], sid)
  append({'k', 'leave', 'sid', sid, 'nick', f[1], 'reason', 'disconnected', 'ts', ts,
          'takeover', '1'}, false)
else
  redis.call('ZREM', P .. 'dropped', sid)
end
-- The token used stays good until the client shows it has the new one; any other is spent.
for _, digest in ipairs({f[3], f[4]}) do
  if digest and digest ~= used then redis.call('DEL', P .. 'token:' .. digest) end
end
redis.call('SET', P .. 'token:' .. token, sid)
redis.call('HSET', s, 'token', token, 'prev', used, 'node', NODE, 'inc', INC, 'state', 'on',
           'hello', hello)
redis.call('SADD', P .. 'node:' .. NODE, sid)
redis.call('HSET', P .. 'online', f[2], sid)
append({'k', 'join', 'sid', sid, 'nick', f[1], 'node', NODE, 'hello', hello, 'resumed', '1',
        'first', f[7], 'ts', ts}, false)
return done({'ok', sid, f[1], f[7]})
