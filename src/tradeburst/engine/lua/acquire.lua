-- Take every class's slots of one request at once, or say how long to wait.
-- The time is the server's (TIME), never a client's. A slot is one member of its class's
-- sorted set, scored with the time it frees: while in flight, the lease's end (renewed by
-- its holder); once answered, the answer's time plus the window (release.lua).
-- Waiters are served first come, first served across processes: a request that must wait
-- takes a ticket, and no request goes before an earlier live ticket that needs one of its
-- classes.
-- KEYS: epoch, blocked, tickets, queue, waiters, then one sorted set per class.
-- ARGV: epoch expected, ticket (0: none yet), member prefix, lease_s, waiter_lease_s,
--       headroom_s, channel, then per class: name, limit, weight, window_s.
-- Returns {1, now, ticket} granted; {0, wait_s, ticket} wait (wait_s "-1": until a
-- release or an earlier waiter's grant wakes us); {-1, "", 0} the epoch is not the one
-- expected (the server restarted, or was never armed).
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function fmt(x) return string.format('%.6f', x) end
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return {-1, '', 0}
end
local ticket = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
local waiter_lease = tonumber(ARGV[5])
local headroom = tonumber(ARGV[6])
local classes = #KEYS - 5
local mine = {}
local names = {}
for i = 1, classes do
  local name = ARGV[7 + 4 * (i - 1) + 1]
  mine[name] = true
  names[i] = name
end

-- An earlier live waiter for one of our classes goes first; dead waiters are dropped.
local blocked_by_earlier = false
local bound = '+inf'
if ticket > 0 then bound = '(' .. ticket end
for _, other in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', bound)) do
  local entry = redis.call('HGET', KEYS[5], other)
  local sep = entry and string.find(entry, '|', 1, true)
  if not sep or tonumber(string.sub(entry, 1, sep - 1)) < now then
    redis.call('ZREM', KEYS[4], other)
    redis.call('HDEL', KEYS[5], other)
  else
    for name in string.gmatch(string.sub(entry, sep + 1), '[^,]+') do
      if mine[name] then blocked_by_earlier = true end
    end
  end
end

-- The earliest time every class has room: nil when only a release can make it.
local ready = now
local closed = redis.call('HMGET', KEYS[2], '*', unpack(names))
for _, until_s in ipairs(closed) do
  if until_s and tonumber(until_s) > ready then ready = tonumber(until_s) end
end
for i = 1, classes do
  local key = KEYS[5 + i]
  local base = 7 + 4 * (i - 1)
  local limit = tonumber(ARGV[base + 2])
  local weight = tonumber(ARGV[base + 3])
  local window = tonumber(ARGV[base + 4])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', fmt(now))
  local excess = redis.call('ZCARD', key) + weight - limit
  if excess > 0 and ready then
    local frees = redis.call('ZRANGE', key, excess - 1, excess - 1, 'WITHSCORES')
    local at = tonumber(frees[2])
    if at > now + window + headroom + 0.001 then
      ready = nil -- held by a request in flight: its release will wake us
    elseif at > ready then
      ready = at
    end
  end
end

if blocked_by_earlier or ready == nil or ready > now then
  if ticket == 0 then
    ticket = redis.call('INCR', KEYS[3])
    redis.call('ZADD', KEYS[4], ticket, ticket)
  end
  redis.call('HSET', KEYS[5], ticket, fmt(now + waiter_lease) .. '|' .. table.concat(names, ','))
  if blocked_by_earlier or ready == nil then return {0, '-1', ticket} end
  return {0, fmt(ready - now), ticket}
end

local expires = fmt(now + lease)
for i = 1, classes do
  local key = KEYS[5 + i]
  local weight = tonumber(ARGV[7 + 4 * (i - 1) + 3])
  for k = 1, weight do
    redis.call('ZADD', key, expires, ARGV[3] .. ':' .. k)
  end
end
if ticket > 0 then
  redis.call('ZREM', KEYS[4], ticket)
  redis.call('HDEL', KEYS[5], ticket)
  if redis.call('ZCARD', KEYS[4]) > 0 then redis.call('PUBLISH', ARGV[7], 'granted') end
end
return {1, fmt(now), ticket}
