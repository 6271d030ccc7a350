"""Sending within the platforms' limits: about 1 message a second per chat, 30 a second in all.

A `Pacer` spaces the sends (per chat, then overall; no bursts); a 429 holds every send back
for the time the platform asks, then the request is tried again. Time comes from a `Clock`,
so tests run on a fake clock and never wait on the wall clock.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable, Coroutine, Hashable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from telegram._utils.types import JSONDict
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

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

    async def _sleep_until(self, moment: float) -> None:
        delay = moment - self.clock.now()
        if delay > 0:
            await self.clock.sleep(delay)

    async def _overall_slot(self) -> None:
        start = max(self.clock.now(), self._next)
        self._next = start + self._gap
        await self._sleep_until(start)

    async def wait(self, chat: Hashable | None) -> None:
        """Wait until a message to `chat` may go out (None: a call into no chat, paced overall only)."""
        if chat is None:
            await self._overall_slot()
            return
        pace = self._chats.setdefault(chat, _ChatPace())
        async with pace.lock:
            await self._sleep_until(pace.last + self._chat_gap)
            await self._overall_slot()
            pace.last = self.clock.now()
        if len(self._chats) > self._prune_at:
            self._forget()

    def _forget(self) -> None:
        """Drop chats that are idle and past their gap, so memory stays bounded."""
        due = self.clock.now() - self._chat_gap
        self._chats = {c: p for c, p in self._chats.items() if p.lock.locked() or p.last > due}
        self._prune_at = max(MAX_TRACKED_CHATS, 2 * len(self._chats))

    def hold(self, seconds: float) -> None:
        """Keep every later send back for `seconds` (the platform asked us to slow down)."""
        self._next = max(self._next, self.clock.now() + seconds)


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
            pacer.hold(delay)
            await pacer.clock.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def telegram_retry_after(exc: Exception) -> float | None:
    """Seconds Telegram asked us to wait, if `exc` is its 429."""
    if not isinstance(exc, RetryAfter):
        return None
    # PTB keeps the value as a timedelta; its public `retry_after` warns while it moves from int.
    value = getattr(exc, "_retry_after", None)
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(exc.retry_after)  # type: ignore[arg-type]


class TelegramRateLimiter(BaseRateLimiter[int]):
    """python-telegram-bot's rate limiter, on a Pacer: per chat for every chat type, and in all."""

    def __init__(self, pacer: Pacer, retries: int) -> None:
        self.pacer = pacer
        self.retries = retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Pace requests that post into a chat; retry any request Telegram answers with 429."""
        chat = data.get("chat_id")
        retries = self.retries if rate_limit_args is None else rate_limit_args
        # answerCallbackQuery, setWebhook, getMe… carry no chat_id: they are not messages, not paced.
        return await paced(
            self.pacer,
            None if chat is None else str(chat),
            lambda: callback(*args, **kwargs),
            telegram_retry_after,
            retries,
            pace=chat is not None,
        )
