"""Per-user flood control: one user sending fast cannot slow the bot for everyone else."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from bot.redis_link import RedisLink
from bot.settings import Settings


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class UserLimiter:
    """A token bucket per user: `burst` messages at once, then `rate` a second.

    In process memory, bounded to the `max_users` most recently seen users. With several bot
    processes, each keeps its own buckets: a flood spread over N processes gets N times the rate
    (RedisUserLimiter shares them).
    """

    def __init__(
        self, rate: float, burst: int, max_users: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_users = max_users
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def allow(self, user_id: str) -> tuple[bool, bool]:
        """(allowed, first refusal since the user was last allowed)."""
        now = self._clock()
        bucket = self._buckets.pop(user_id, None) or _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        self._buckets[user_id] = bucket
        if len(self._buckets) > self.max_users:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.warned = False
            return True, False
        first = not bucket.warned
        bucket.warned = True
        return False, first

    async def close(self) -> None:
        """Nothing to release."""


# KEYS[1]: the user's bucket, a hash {tokens, at, warned}. ARGV: now, rate, burst.
# Returns {allowed, first refusal}. The key expires once the bucket would be full again, when
# it is no different from a missing one, so Redis keeps only users who sent lately.
FLOOD_SCRIPT = """
local now, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'warned')
local tokens = tonumber(bucket[1]) or burst
local at = tonumber(bucket[2]) or now
local warned = bucket[3] == '1'
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local allowed, first = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
  warned = false
elseif not warned then
  first = 1
  warned = true
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'at', string.format('%.17g', at),
  'warned', warned and '1' or '0')
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {allowed, first}
"""


class RedisUserLimiter(UserLimiter):
    """The same token buckets, kept in Redis so that every bot process shares them.

    One Lua script per message reads, refills and takes from the user's bucket atomically. Time
    comes from `clock` and is passed to the script, so the processes must share that clock:
    time.time() does on one host (and across hosts whose clocks NTP keeps in step). While Redis
    does not answer, this process's own buckets (UserLimiter) decide.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        link: RedisLink,
        prefix: str = "laodong:",
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(rate, burst, clock=clock)
        self.link = link
        self.prefix = prefix

    async def allow(self, user_id: str) -> tuple[bool, bool]:
        """(allowed, first refusal since the user was last allowed), counted across processes."""
        result = await self.link.run(
            FLOOD_SCRIPT, [f"{self.prefix}flood:{user_id}"], [self._clock(), self.rate, self.burst]
        )
        if result is None:
            return await super().allow(user_id)
        allowed, first = result
        return bool(allowed), bool(first)

    async def close(self) -> None:
        """Close the Redis client."""
        await self.link.close()


def make_limiter(settings: Settings, redis: RedisLink | None) -> UserLimiter:
    """Flood control in this process, or shared through Redis given the process's link to it."""
    if redis is None:
        return UserLimiter(settings.user_rate, settings.user_burst)
    return RedisUserLimiter(settings.user_rate, settings.user_burst, redis, settings.redis_prefix)


def make_address_limiter(
    settings: Settings, redis: RedisLink | None, rate: float, burst: int, kind: str
) -> UserLimiter:
    """Flood control per client address (`kind`: what it limits, part of the Redis key), for
    requests that carry no user (web chat without a cookie, landing pages). Callers key it by a
    keyed hash of the address, never the address itself."""
    if redis is None:
        return UserLimiter(rate, burst)
    return RedisUserLimiter(rate, burst, redis, f"{settings.redis_prefix}{kind}:")
