-- The broker refused a request for rate: close a class (or "*", all) for every process
-- until the server's now plus the back-off; an earlier end never shortens a later one.
-- KEYS: blocked. ARGV: class, backoff_s. Returns the seconds it stays closed.
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ends = now + tonumber(ARGV[2])
local current = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if current < ends then
  redis.call('HSET', KEYS[1], ARGV[1], string.format('%.6f', ends))
else
  ends = current
end
return string.format('%.6f', ends - now)
