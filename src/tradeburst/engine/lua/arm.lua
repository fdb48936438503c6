-- Mark the account's keys as this server's (its run_id). A server that restarted lost
-- every slot it held, though the broker still counts those requests: when the keys are
-- not this server's, the account is closed to all until one window after the server
-- started. Its uptime is the difference of two whole-second clocks, so a server that
-- started at 44.95 reads 1 at 45.06: the start is taken at its latest, one second after
-- the whole second the uptime points to.
-- KEYS: epoch, blocked. ARGV: run_id, uptime_s, deny_s. Returns 1 when it armed.
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ends = tonumber(t[1]) - tonumber(ARGV[2]) + 1 + tonumber(ARGV[3])
local current = tonumber(redis.call('HGET', KEYS[2], '*') or '0')
if ends > now and ends > current then
  redis.call('HSET', KEYS[2], '*', string.format('%.6f', ends))
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
