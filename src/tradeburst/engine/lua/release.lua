-- A request's answer came: its slots now free one window (plus headroom) after it, by the
-- server's clock, or after the time the broker counted it by, given as how long before
-- this call that was (so no clocks are compared). The members are written whether or not
-- they are still there, so a request in flight across a server restart counts again from
-- its answer. Then every waiter on the account is woken.
-- KEYS: one sorted set per class. ARGV: member prefix, headroom_s, channel, ago_s, then
-- per class: weight, window_s.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local headroom = tonumber(ARGV[2])
local counted = now - math.max(0, tonumber(ARGV[4]))
for i = 1, #KEYS do
  local weight = tonumber(ARGV[4 + 2 * (i - 1) + 1])
  local window = tonumber(ARGV[4 + 2 * (i - 1) + 2])
  local frees = string.format('%.6f', counted + window + headroom)
  for k = 1, weight do
    redis.call('ZADD', KEYS[i], frees, ARGV[1] .. ':' .. k)
  end
end
redis.call('PUBLISH', ARGV[3], 'released')
return 1
