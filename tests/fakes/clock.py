"""Virtual time for rate-limit tests: nothing waits on the wall clock, every wait is recorded."""

from __future__ import annotations

import asyncio
import heapq
import itertools

IDLE_ROUNDS = 20  # loop turns given to the other tasks before time moves on


class FakeClock:
    """A sleeper wakes once the other tasks have had their turn and its wake-up time is the next."""

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.sleeps: list[float] = []
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()
        self._driver: asyncio.Task[None] | None = None

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        loop = asyncio.get_running_loop()
        wake: asyncio.Future[None] = loop.create_future()
        heapq.heappush(self._sleepers, (self.time + max(0.0, seconds), next(self._order), wake))
        if self._driver is None or self._driver.done():
            self._driver = loop.create_task(self._advance())
        await wake

    async def _advance(self) -> None:
        while self._sleepers:
            for _ in range(IDLE_ROUNDS):
                await asyncio.sleep(0)
            moment, _, wake = heapq.heappop(self._sleepers)
            self.time = max(self.time, moment)
            if not wake.done():
                wake.set_result(None)
