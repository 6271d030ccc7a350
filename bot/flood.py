"""Per-user flood control: one user sending fast cannot slow the bot for everyone else."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    warned: bool = False


class UserLimiter:
    """A token bucket per user: `burst` messages at once, then `rate` a second.

    In process memory, bounded to the `max_users` most recently seen users. With several bot
    processes, each keeps its own buckets: a flood spread over N processes gets N times the rate.
    """

    def __init__(
        self, rate: float, burst: int, max_users: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.max_users = max_users
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, user_id: str) -> tuple[bool, bool]:
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
