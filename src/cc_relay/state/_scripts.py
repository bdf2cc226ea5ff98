"""The Lua scripts that make shared buckets atomic; they read the clock with ``TIME``.

A key's buckets are one hash, ``<prefix>:key:<fingerprint>``: for each dimension
(``r`` requests, ``i`` input, ``o`` output, ``t`` total tokens) its level and the
instant of that level (``r_l``, ``r_s``...), and ``cool``, the instant its cooldown
ends. A missing level is a full bucket, so a hash may expire once it has refilled.
The model is keypool/bucket.py's: capacity per minute, continuous refill, debt allowed.
Levels travel as strings: Redis truncates Lua numbers to integers.

ARGV for both bucket scripts starts with the four capacities (0: no limit there).
"""

from __future__ import annotations

__all__ = ["CHARGE", "FLEET_BEAT", "HEARTBEAT", "RESERVE"]

_PROJECT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local names = {'r', 'i', 'o', 't'}
local vals = redis.call('HMGET', KEYS[1],
  'r_l', 'r_s', 'i_l', 'i_s', 'o_l', 'o_s', 't_l', 't_s', 'cool')
local cool = tonumber(vals[9]) or 0
local caps, levels = {}, {}
for d = 1, 4 do
  local cap = tonumber(ARGV[d])
  caps[d] = cap
  if cap > 0 then
    local level, stamp = tonumber(vals[2 * d - 1]), tonumber(vals[2 * d])
    if level == nil then
      level = cap
    elseif now > stamp then
      level = level + (now - stamp) * cap / 60
    end
    if level > cap then level = cap end
    levels[d] = level
  else
    levels[d] = 0
  end
end
local function store()
  for d = 1, 4 do
    if caps[d] > 0 then
      redis.call('HSET', KEYS[1], names[d] .. '_l', tostring(levels[d]),
        names[d] .. '_s', tostring(now))
    end
  end
  local ttl = 120
  if cool > now then ttl = math.ceil(cool - now) + 120 end
  redis.call('EXPIRE', KEYS[1], ttl)
end
"""

RESERVE = (
    _PROJECT
    + """
-- ARGV[5]: the input estimate. Returns {admitted, wait seconds, level r, i, o, t}.
local est = tonumber(ARGV[5])
local needs = {1, est, 1, est}
local wait = 0
if cool > now then wait = cool - now end
for d = 1, 4 do
  if caps[d] > 0 then
    local need = needs[d]
    if need > caps[d] then need = caps[d] end
    if levels[d] < need then
      local w = (need - levels[d]) / (caps[d] / 60)
      if w > wait then wait = w end
    end
  end
end
local admitted = 0
if wait <= 0 then
  admitted = 1
  levels[1] = levels[1] - 1
  levels[2] = levels[2] - est
  levels[4] = levels[4] - est
  store()
end
return {admitted, tostring(wait), tostring(levels[1]), tostring(levels[2]),
  tostring(levels[3]), tostring(levels[4])}
"""
)

CHARGE = (
    _PROJECT
    + """
-- ARGV[5..8]: amounts to take per dimension (negative gives back); ARGV[9]: seconds
-- of cooldown from now (0: none). The level never rises above capacity.
for d = 1, 4 do
  if caps[d] > 0 then
    local level = levels[d] - tonumber(ARGV[4 + d])
    if level > caps[d] then level = caps[d] end
    levels[d] = level
  end
end
local rest = tonumber(ARGV[9])
if rest > 0 and now + rest > cool then
  cool = now + rest
  redis.call('HSET', KEYS[1], 'cool', tostring(cool))
end
store()
return 1
"""
)

HEARTBEAT = """
-- KEYS[1]: the replica set; ARGV[1]: this replica; ARGV[2]: seconds a beat lasts.
local now = tonumber(redis.call('TIME')[1])
local ttl = tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ttl)
redis.call('EXPIRE', KEYS[1], ttl * 2)
return redis.call('ZCARD', KEYS[1])
"""

FLEET_BEAT = """
-- KEYS[1]: the fleet set, scored by when each member expires (so each replica's own
-- TTL holds); KEYS[2]: this replica's snapshot key.
-- ARGV[1]: this replica; ARGV[2]: its snapshot; ARGV[3]: milliseconds it lasts.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[3])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ttl)
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('PTTL', KEYS[1]) < ttl * 2 then redis.call('PEXPIRE', KEYS[1], ttl * 2) end
return 1
"""
