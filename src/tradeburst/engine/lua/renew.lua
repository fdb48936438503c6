-- The holder is alive: its slots in flight (and its connections) are held one more lease.
-- Only members still there and ending sooner are moved (XX GT): a released slot keeps the
-- time it frees. KEYS: sorted sets. ARGV: lease_s, then pairs of key index and member.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local expires = string.format('%.6f', now + tonumber(ARGV[1]))
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[tonumber(ARGV[i])], 'XX', 'GT', expires, ARGV[i + 1])
end
return 1
