"""Sending within the platforms' limits: about 1 message a second per chat, 30 a second in all.

A `Pacer` spaces the sends (per chat, then overall; no bursts); a 429 holds every send back
for the time the platform asks, then the request is tried again. Time comes from a `Clock`,
so tests run on a fake clock and never wait on the wall clock. With several bot processes,
`RedisPacer` books the same slots in Redis, so that together they keep within the limits.
Nothing here imports python-telegram-bot (Telegram's limiter on a Pacer is in telegram_http.py):
a server without Telegram does not load it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from bot.privacy import redis_id
from bot.redis_link import RedisLink

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_TRACKED_CHATS = 10_000


class Clock(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The event loop's monotonic clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class WallClock(LoopClock):
    """Wall-clock time, time.time(): what the processes of one host share (hosts need NTP)."""

    def now(self) -> float:
        return time.time()


@dataclass(slots=True)
class _ChatPace:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last: float = float("-inf")  # when the last message to this chat went out


class Pacer:
    """Spaces sends: at most `per_chat` a second to one chat and `overall` a second in all.

    Sends to one chat queue behind each other (FIFO); only a send whose chat is due takes an
    overall slot, so one busy chat never holds the others back.
    """

    def __init__(self, per_chat: float, overall: float, clock: Clock) -> None:
        self.clock = clock
        self._chat_gap = 1.0 / per_chat
        self._gap = 1.0 / overall
        self._next = float("-inf")  # the next free overall slot
        self._chats: dict[Hashable, _ChatPace] = {}
        self._prune_at = MAX_TRACKED_CHATS
        self._replies_waiting = 0  # replies of this process waiting for a slot: announcements wait behind them

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock.now()
        if delay > 0:
            await self.clock.sleep(delay)

    async def _overall_slot(self, ahead: float | None = None) -> None:
        while ahead is not None and (wait := self._next - ahead - self.clock.now()) > 1e-6:
            await self.clock.sleep(wait)  # the line is long: let it go first
        start = max(self.clock.now(), self._next)
        self._next = start + self._gap
        await self._sleep_until(start)

    async def _send_slot(self, chat: Hashable | None, pace: _ChatPace | None, ahead: float | None = None) -> None:
        """Wait for the chat to be due, then for an overall slot (with `ahead`, one no further than
        that from now: the line is short); note when the send goes out."""
        if pace is not None:
            await self._sleep_until(pace.last + self._chat_gap)
        await self._overall_slot(ahead)
        if pace is not None:
            pace.last = self.clock.now()

    async def wait(self, chat: Hashable | None) -> None:
        """Wait until a message to `chat` may go out (None: a call into no chat, paced overall only)."""
        self._replies_waiting += 1
        try:
            await self._wait(chat)
        finally:
            self._replies_waiting -= 1

    async def wait_low(self, chat: Hashable) -> None:
        """Wait for a slot for a message that can wait (an announcement): once no reply of this
        process is waiting, the first free slot, never one further than the next (with Redis, of
        every process's): a reply that comes later waits behind at most that one announcement."""
        while self._replies_waiting:
            await self.clock.sleep(self._gap)
        await self._wait(chat, ahead=self._gap)

    async def _wait(self, chat: Hashable | None, ahead: float | None = None) -> None:
        if chat is None:
            await self._send_slot(None, None, ahead)
            return
        pace = self._chats.setdefault(chat, _ChatPace())
        async with pace.lock:
            await self._send_slot(chat, pace, ahead)
        if len(self._chats) > self._prune_at:
            self._forget()

    def _forget(self) -> None:
        """Drop chats that are idle and past their gap, so memory stays bounded."""
        due = self.clock.now() - self._chat_gap
        self._chats = {c: p for c, p in self._chats.items() if p.lock.locked() or p.last > due}
        self._prune_at = max(MAX_TRACKED_CHATS, 2 * len(self._chats))

    async def hold(self, seconds: float) -> None:
        """Keep every later send back for `seconds` (the platform asked us to slow down)."""
        self._next = max(self._next, self.clock.now() + seconds)

    async def close(self) -> None:
        """Nothing to release."""


# KEYS[1]: the next free overall slot; KEYS[2], for a send into a chat: when its last send went out.
# ARGV: now, the gap between sends to one chat, the gap between any two sends. Returns {1, moment}
# with the send booked at that moment, or {0, moment} if the chat is not due until then: nothing
# is booked and the caller asks again then, so a busy chat never takes overall slots ahead of
# the others. Keys expire once they no longer hold anything back. ARGV[4], for a send that can
# wait (an announcement): book only a slot at most that far from now, else {0, when it would be}.
PACE_SCRIPT = """
local now, chat_gap, gap = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local ahead = tonumber(ARGV[4])
if #KEYS > 1 then
  local last = tonumber(redis.call('GET', KEYS[2]))
  if last and last + chat_gap > now then
    return {0, string.format('%.17g', last + chat_gap)}
  end
end
local queued = tonumber(redis.call('GET', KEYS[1]))
if ahead and queued and queued - now > ahead + 1e-6 then
  return {0, string.format('%.17g', queued - ahead)}
end
local start = math.max(now, queued or now)
redis.call('SET', KEYS[1], string.format('%.17g', start + gap), 'PX', math.ceil((start + gap - now) * 1000) + 1000)
if #KEYS > 1 then
  redis.call('SET', KEYS[2], string.format('%.17g', start), 'PX', math.ceil((start + chat_gap - now) * 1000) + 1000)
end
return {1, string.format('%.17g', start)}
"""

# KEYS[1]: the next free overall slot. ARGV: now, seconds. Moves it to now + seconds, if later.
HOLD_SCRIPT = """
local until_ = tonumber(ARGV[1]) + tonumber(ARGV[2])
local next_slot = tonumber(redis.call('GET', KEYS[1]))
if not next_slot or until_ > next_slot then
  redis.call('SET', KEYS[1], string.format('%.17g', until_), 'PX', math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
end
return 1
"""


class RedisPacer(Pacer):
    """A Pacer whose slots are booked in Redis, shared by every process sending for the same bot.

    Each send asks one Lua script, with the clock's now, for its moment: the chat's last send
    plus its gap, then the next free overall slot, which the script books; the process then
    sleeps until that moment on its own clock. The clock must be one the processes share
    (WallClock). A 429's hold is shared too. While Redis does not answer, this process paces
    on its own (Pacer) for that send.
    """

    def __init__(
        self, per_chat: float, overall: float, clock: Clock, link: RedisLink, prefix: str, key: bytes = b""
    ) -> None:
        super().__init__(per_chat, overall, clock)
        self.link = link
        self._key = key  # chat ids become keyed hashes in key names (bot/privacy.py redis_id)
        self._next_key = f"{prefix}pace:next"
        self._chat_prefix = f"{prefix}pace:chat:"

    async def book(self, chat: Hashable | None, now: float, ahead: float | None = None) -> tuple[bool, float] | None:
        """Ask Redis once: (True, moment) with a send booked then, (False, moment) if the chat is not
        due until then, or (`ahead`) the line is longer (nothing booked), None if Redis did not answer."""
        keys = [self._next_key] if chat is None else [self._next_key, self._chat_prefix + redis_id(self._key, chat)]
        args = [now, self._chat_gap, self._gap] if ahead is None else [now, self._chat_gap, self._gap, ahead]
        result = await self.link.run(PACE_SCRIPT, keys, args)
        if result is None:
            return None
        return bool(result[0]), float(result[1])

    async def _send_slot(self, chat: Hashable | None, pace: _ChatPace | None, ahead: float | None = None) -> None:
        now = self.clock.now()
        while True:
            answer = await self.book(chat, now, ahead)
            if answer is None:  # Redis is down: this process's own pacing, for this send
                await super()._send_slot(chat, pace, ahead)
                return
            booked, moment = answer
            await self._sleep_until(moment)
            if booked:
                break
            now = max(self.clock.now(), moment)  # the chat is due now: ask again, for an overall slot
        if pace is not None:
            pace.last = moment  # for _forget, and for this process's own pacing should Redis go down

    async def hold(self, seconds: float) -> None:
        """Keep every later send of every process back for `seconds`."""
        await super().hold(seconds)
        await self.link.run(HOLD_SCRIPT, [self._next_key], [self.clock.now(), seconds])

    async def close(self) -> None:
        """Close the Redis client."""
        await self.link.close()


def make_pacer(
    per_chat: float, overall: float, clock: Clock, redis: RedisLink | None, prefix: str, key: bytes = b""
) -> Pacer:
    """A Pacer for this process, or, given the process's link to Redis, one whose slots every process shares.

    Moments booked in Redis are compared across processes, so the loop's monotonic clock gives
    way to wall-clock time there (a test's fake clock is kept).
    """
    if redis is None:
        return Pacer(per_chat, overall, clock)
    shared_clock = WallClock() if isinstance(clock, LoopClock) else clock
    return RedisPacer(per_chat, overall, shared_clock, redis, prefix, key)


async def paced(
    pacer: Pacer,
    chat: Hashable | None,
    request: Callable[[], Awaitable[T]],
    retry_after: Callable[[Exception], float | None],
    retries: int,
    *,
    pace: bool = True,
) -> T:
    """Run `request` in its slot; after a 429 wait as long as asked and try again, up to `retries` times."""
    for attempt in range(retries + 1):
        if pace:
            await pacer.wait(chat)
        try:
            return await request()
        except Exception as exc:
            delay = retry_after(exc)
            if delay is None or attempt == retries:
                raise
            log.info("rate limited; retrying in %.1f s (attempt %d of %d)", delay, attempt + 1, retries)
            await pacer.hold(delay)
            await pacer.clock.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


async def broadcast(
    pacer: Pacer, chat: Hashable, request: Callable[[], Awaitable[T]], retry_after: Callable[[Exception], float | None]
) -> T:
    """Run an announcement's `request` in a slot no reply wants; after a 429 hold every send back
    as long as asked and raise (the sender tries again)."""
    await pacer.wait_low(chat)
    try:
        return await request()
    except Exception as exc:
        delay = retry_after(exc)
        if delay is not None:
            await pacer.hold(delay)
        raise
