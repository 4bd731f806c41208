-- The sessions this node holds, and the hello of the connection holding each:
-- {sid, hello, sid, hello, ...}. A node compares them with its connections to find the
-- ones it holds for nobody (a hello whose answer was lost, a leave it could not send).
local result = {}
for _, sid in ipairs(redis.call('SMEMBERS', P .. 'node:' .. NODE)) do
  local f = redis.call('HMGET', session_key(sid), 'node', 'inc', 'state', 'hello')
  if f[1] == NODE and f[2] == INC and f[3] == 'on' then
    table.insert(result, sid)
    table.insert(result, f[4] or '')
  end
end
return result
