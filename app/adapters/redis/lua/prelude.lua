-- Shared by every script (prepended to each). ARGV[1..5]: key prefix, node name, the node's
-- incarnation, operation id, deadline; the script's own arguments follow from ARGV[6].
-- All keys share the prefix (a hash tag by default), so the scripts also fit Redis Cluster.
local P, NODE, INC, OP = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
-- In Redis time (ms): past it the node has given up waiting and told its client that
-- nothing was done, so nothing may be done (a request that sat in a stalled Redis).
local DEADLINE = tonumber(ARGV[5])
local ROOM, LOG = P .. 'room', P .. 'log'

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

-- A deliberate retry of a write whose answer was lost gets the first answer again: the
-- script is never run twice for one operation id.
local function done(result)
  if OP ~= '' then
    redis.call('SET', P .. 'op:' .. OP, cjson.encode(result), 'PX', 10000)
  end
  return result
end

local function replayed()
  if OP == '' then return nil end
  local prior = redis.call('GET', P .. 'op:' .. OP)
  if prior then return cjson.decode(prior) end
  return nil
end

-- Appends one entry to the room's stream. A message takes the next id N (entry N-0); an
-- event (join, leave, nick) goes after the newest message as N-1, N-2, ...: one order for all.
local function append(fields, is_message)
  local last = tonumber(redis.call('HGET', ROOM, 'last_ms'))
  local seq = tonumber(redis.call('HGET', ROOM, 'last_seq'))
  if is_message then last, seq = last + 1, 0 else seq = seq + 1 end
  redis.call('HSET', ROOM, 'last_ms', last, 'last_seq', seq)
  local id = last .. '-' .. seq
  -- Every entry says which room it belongs to: a reader that followed a room Redis since
  -- lost must not take a new room's entries for the next of the old one's.
  table.insert(fields, 'e')
  table.insert(fields, string.sub(redis.call('HGET', ROOM, 'epoch'), 1, 8))
  redis.call('XADD', LOG, id, unpack(fields))
  return last, id
end

local function session_key(sid) return P .. 'session:' .. sid end

-- The session leaves the room's listing (it stays held, or is ended, by the caller).
local function go_offline(sid)
  local fold = redis.call('HGET', session_key(sid), 'fold')
  if fold and redis.call('HGET', P .. 'online', fold) == sid then
    redis.call('HDEL', P .. 'online', fold)
  end
end

-- A held session whose connection is gone: it waits the resume grace, its nick kept.
local function drop_session(sid, now, ts, reason)
  local s = session_key(sid)
  local node = redis.call('HGET', s, 'node')
  if node then redis.call('SREM', P .. 'node:' .. node, sid) end
  go_offline(sid)
  redis.call('HSET', s, 'state', 'off')
  redis.call('ZADD', P .. 'dropped', now, sid)
  return append({'k', 'leave', 'sid', sid, 'nick', redis.call('HGET', s, 'nick'),
                 'reason', reason, 'ts', ts}, false)
end

-- The session is over: its nick and tokens are free.
local function end_session(sid)
  local s = session_key(sid)
  local fields = redis.call('HMGET', s, 'key', 'token', 'prev', 'node')
  if fields[1] and redis.call('HGET', P .. 'nicks', fields[1]) == sid then
    redis.call('HDEL', P .. 'nicks', fields[1])
  end
  go_offline(sid)
  for _, digest in ipairs({fields[2], fields[3]}) do
    if digest and redis.call('GET', P .. 'token:' .. digest) == sid then
      redis.call('DEL', P .. 'token:' .. digest)
    end
  end
  if fields[4] then redis.call('SREM', P .. 'node:' .. fields[4], sid) end
  redis.call('ZREM', P .. 'dropped', sid)
  redis.call('DEL', s)
end

-- Every session a node held is dropped (its users leave once) and the node is fenced.
local function reap(name, now, ts)
  redis.call('HDEL', P .. 'incarnations', name)
  local members = redis.call('SMEMBERS', P .. 'node:' .. name)
  table.sort(members)  -- the same order of leaves whoever reaps
  for _, sid in ipairs(members) do
    if redis.call('HGET', session_key(sid), 'node') == name then
      drop_session(sid, now, ts, 'disconnected')
    end
  end
  redis.call('DEL', P .. 'node:' .. name)
  return #members
end

-- Whether the session is held right now by this node's connection that said `hello`
-- (not by an older connection of the same client, which a resume replaced).
local function held_here(sid, hello)
  local f = redis.call('HMGET', session_key(sid), 'node', 'inc', 'state', 'hello')
  return f[1] == NODE and f[2] == INC and f[3] == 'on' and f[4] == hello
end

local function check_room_and_fence()
  if DEADLINE > 0 and now_ms() > DEADLINE then return {'late'} end
  if redis.call('EXISTS', ROOM) == 0 then return {'lost'} end
  if redis.call('HGET', P .. 'incarnations', NODE) ~= INC then return {'fenced'} end
  return nil
end
