"""One process's link to Redis, where several `laodong serve` processes share their rate limits.

The flood limiter (bot/flood.py) and the send pacers (bot/channels/ratelimit.py) run short Lua
scripts here, each atomic in Redis. The client is opened lazily on the running event loop, one
per process for all of them (made by the composition root, `bot.web.app.create_app`, and passed
to each), and closed on shutdown. Redis must never stop the
bot answering: a call Redis does not answer returns None and the caller falls back on its own
process memory for that call; a warning is logged at most once a minute, and Redis is tried
again after a short pause.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from redis.asyncio import Redis
    from redis.commands.core import AsyncScript

log = logging.getLogger(__name__)

TIMEOUT = 0.25  # seconds to connect, and to wait for an answer: Redis answers in a millisecond
RETRY_PAUSE = 2.0  # after a failure, calls fall back at once for this long before Redis is tried again
WARN_EVERY = 60.0  # at most one warning a minute while Redis is down
MAX_CONNECTIONS = 32  # a burst of messages waits (up to TIMEOUT) for one, rather than opening hundreds


class RedisLink:
    """A lazily opened Redis client that runs Lua scripts, or returns None when Redis does not answer."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = TIMEOUT,
        retry_pause: float = RETRY_PAUSE,
        warn_every: float = WARN_EVERY,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        # The redis library is imported only where LAODONG_REDIS_URL is set (a link is made).
        from redis.asyncio.connection import parse_url
        from redis.exceptions import RedisError

        parse_url(url)  # a malformed LAODONG_REDIS_URL fails at start-up, not at the first message
        self._errors: tuple[type[Exception], ...] = (RedisError, OSError)  # OSError covers TimeoutError
        self.url = url
        self.timeout = timeout
        self.retry_pause = retry_pause
        self.warn_every = warn_every
        self._monotonic = monotonic
        self._client: Redis | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._scripts: dict[str, AsyncScript] = {}
        self._pause_until = float("-inf")
        self._warned_at = float("-inf")
        self._failed_calls = 0  # calls that fell back since the last warning
        self._down = False

    @property
    def where(self) -> str:
        """Host and port (or socket path), never the password a URL may carry."""
        parts = urlsplit(self.url)
        if parts.hostname is None:
            return parts.path
        return f"{parts.hostname}:{parts.port or 6379}"

    def _connect(self) -> Redis:
        from redis.asyncio import Redis
        from redis.asyncio.connection import BlockingConnectionPool
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            # Retry once at once: a connection Redis dropped (a restart) is replaced without a fallback.
            pool = BlockingConnectionPool.from_url(
                self.url,
                max_connections=MAX_CONNECTIONS,
                timeout=self.timeout,
                socket_timeout=self.timeout,
                socket_connect_timeout=self.timeout,
                retry=Retry(NoBackoff(), 1),
            )
            self._client = Redis.from_pool(pool)
            self._loop = loop
            self._scripts = {}
        return self._client

    async def run(self, script: str, keys: Sequence[str], args: Sequence[float | str]) -> Any:
        """The Lua `script`'s result (EVALSHA, loaded when Redis lacks it), or None if Redis did not answer."""
        if self._monotonic() < self._pause_until:
            self._fell_back(None)
            return None
        client = self._connect()
        runner = self._scripts.get(script)
        if runner is None:
            runner = self._scripts[script] = client.register_script(script)
        try:
            result = await runner(keys=list(keys), args=list(args))
        except self._errors as exc:
            self._pause_until = self._monotonic() + self.retry_pause
            self._fell_back(exc)
            return None
        if self._down:
            self._down = False
            log.warning("Redis at %s answers again: rate limits are shared again", self.where)
        return result

    def _fell_back(self, exc: Exception | None) -> None:
        self._down = True
        self._failed_calls += 1
        now = self._monotonic()
        if now - self._warned_at < self.warn_every:
            return
        self._warned_at = now
        reason = f"{type(exc).__name__}: {exc}" if exc is not None else "still down"
        log.warning(
            "Redis at %s did not answer (%s): rate limits are per process until it does (calls fallen back: %d)",
            self.where,
            reason,
            self._failed_calls,
        )
        self._failed_calls = 0

    async def close(self) -> None:
        """Close the client, if open (a later call would open another)."""
        client, loop = self._client, self._loop
        self._client = self._loop = None
        self._scripts = {}
        if client is not None and loop is asyncio.get_running_loop():
            await client.aclose()
