"""python-telegram-bot's plumbing: its requests to the Bot API over aiohttp instead of httpx,
and its rate limiter on our Pacer (bot/channels/ratelimit.py).

The server already runs on aiohttp; its client does the same work as PTB's default httpx
request for less CPU per call (scripts/bench_webhook.py: httpx and anyio were ~7 % of the
server's time under webhook load). PTB calls `do_request` and reads the status and body; its
own `post` still parses the JSON, maps errors (429 → RetryAfter …) and the rate limiter still
paces. Only bot API calls go through here; polling keeps PTB's default for getUpdates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import JSONDict, ODVInput
from telegram.error import NetworkError, RetryAfter, TimedOut
from telegram.ext import BaseRateLimiter
from telegram.request import BaseRequest, RequestData

from bot.channels.ratelimit import Pacer, broadcast, paced


class AiohttpRequest(BaseRequest):
    """A PTB request backend on one aiohttp ClientSession (a pool of kept-alive connections)."""

    def __init__(
        self,
        connections: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._connections = connections
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._connections)
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    def _timeout(self, name: str, given: ODVInput[float]) -> float | None:
        return self._timeouts[name] if isinstance(given, DefaultValue) else given

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Send one request; (HTTP status, body). Timeouts become TimedOut, other failures NetworkError."""
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        connect = self._timeout("connect", connect_timeout)
        pool = self._timeout("pool", pool_timeout)
        timeout = aiohttp.ClientTimeout(
            connect=None if connect is None or pool is None else connect + pool,  # a free connection, then connecting
            sock_connect=connect,
            sock_read=self._timeout("read", read_timeout),
        )
        data: Any = None
        if request_data is not None:
            files = request_data.multipart_data
            if files:
                form = aiohttp.FormData(request_data.json_parameters)
                for name, (filename, content, mimetype) in files.items():
                    form.add_field(name, content, filename=filename, content_type=mimetype)
                data = form
            else:
                data = request_data.json_parameters  # form-encoded, as PTB's own request sends them
        try:
            async with self._session.request(method, url, data=data, timeout=timeout) as response:
                return response.status, await response.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


def telegram_retry_after(exc: Exception) -> float | None:
    """Seconds Telegram asked us to wait, if `exc` is its 429."""
    if not isinstance(exc, RetryAfter):
        return None
    # PTB keeps the value as a timedelta; its public `retry_after` warns while it moves from int.
    value = getattr(exc, "_retry_after", None)
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(exc.retry_after)  # type: ignore[arg-type]


BROADCAST = "broadcast"  # rate_limit_args of an announcement: paced behind replies, a 429 raised at once


class TelegramRateLimiter(BaseRateLimiter[int | str]):
    """python-telegram-bot's rate limiter, on a Pacer: per chat for every chat type, and in all.

    A call made with `rate_limit_args=BROADCAST` (an announcement) takes its slot only when no
    reply is waiting (Pacer.wait_low) and is not retried here: a 429 holds every send back as
    asked, then goes to the caller (bot/announce/sender.py), which tries again.
    """

    def __init__(self, pacer: Pacer, retries: int) -> None:
        self.pacer = pacer
        self.retries = retries

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Release the pacer (a shared one's Redis client)."""
        await self.pacer.close()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | str | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Pace requests that post into a chat; retry any request Telegram answers with 429."""
        chat = data.get("chat_id")
        if rate_limit_args == BROADCAST and chat is not None:
            return await broadcast(self.pacer, str(chat), lambda: callback(*args, **kwargs), telegram_retry_after)
        retries = rate_limit_args if isinstance(rate_limit_args, int) else self.retries
        # answerCallbackQuery, setWebhook, getMe… carry no chat_id: they are not messages, not paced.
        return await paced(
            self.pacer,
            None if chat is None else str(chat),
            lambda: callback(*args, **kwargs),
            telegram_retry_after,
            retries,
            pace=chat is not None,
        )
