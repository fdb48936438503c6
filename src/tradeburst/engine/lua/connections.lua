-- The broker's connection limit, as a semaphore of every process on the account: take up
-- to `wanted` more connections, as many as are free. A process holding none takes one
-- whatever the count: it is logged in, so that connection is open already and must be
-- counted. Each is a member scored with its lease's end, renewed by its holder
-- (renew.lua), so a killed holder's free after it.
-- KEYS: connections. ARGV: member prefix, wanted, limit, lease_s, held already.
-- Returns how many it took.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now))
local free = tonumber(ARGV[3]) - redis.call('ZCARD', KEYS[1])
local held = tonumber(ARGV[5])
local take = math.min(tonumber(ARGV[2]), free)
if take < 0 then take = 0 end
if held == 0 and take == 0 then take = 1 end
local expires = string.format('%.6f', now + tonumber(ARGV[4]))
for k = 1, take do
  redis.call('ZADD', KEYS[1], expires, ARGV[1] .. ':' .. (held + k))
end
return take
