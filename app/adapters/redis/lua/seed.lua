-- Redis lost the room (flushed, or restarted without its data): start a new one whose ids
-- carry on after what this node saw. ARGV last_ms, last_seq, public, private, epoch.
-- Another node may have started it first: then only raise its position to ours, while
-- nothing has been written to it yet. The new stream starts after `origin`.
local last_ms, last_seq = tonumber(ARGV[6]), tonumber(ARGV[7])
local origin = last_ms .. '-' .. last_seq
if redis.call('EXISTS', ROOM) == 0 then
  redis.call('HSET', ROOM, 'last_ms', last_ms, 'last_seq', last_seq, 'public', ARGV[8],
             'private', ARGV[9], 'epoch', ARGV[10], 'floor', last_ms, 'origin', origin,
             'origin_public', ARGV[8], 'origin_private', ARGV[9])
elseif redis.call('XLEN', LOG) == 0 then
  local f = redis.call('HMGET', ROOM, 'last_ms', 'last_seq')
  if tonumber(f[1]) < last_ms or (tonumber(f[1]) == last_ms and tonumber(f[2]) < last_seq) then
    redis.call('HSET', ROOM, 'last_ms', last_ms, 'last_seq', last_seq, 'floor', last_ms,
               'origin', origin)
  end
end
return {'ok', redis.call('HGET', ROOM, 'epoch')}
