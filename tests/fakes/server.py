"""What both fake Bot APIs share: an aiohttp server on a free loopback port, scripted failures."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Scripted:
    """A canned answer to the next call of one method."""

    status: int
    body: dict[str, Any]


@dataclass
class Limits:
    """The platform's send limits, enforced: a send past them is answered 429 (and counted)."""

    overall: int = 30  # sends accepted in any window of `window` seconds
    per_chat_gap: float = 1.0  # seconds between two sends to one chat
    window: float = 1.0
    retry_after: int = 1
    now: Callable[[], float] = time.monotonic
    accepted: list[tuple[float, str]] = field(default_factory=list)  # (time, chat) of every accepted send
    refused: list[tuple[float, str]] = field(default_factory=list)
    _recent: deque[float] = field(default_factory=deque)
    _last: dict[str, float] = field(default_factory=dict)

    def admit(self, chat: str) -> bool:
        """Whether a send to `chat` now keeps within the limits (it is recorded either way)."""
        now = self.now()
        while self._recent and self._recent[0] <= now - self.window + 1e-9:  # float sums of 1/30 s
            self._recent.popleft()
        last = self._last.get(chat)
        if len(self._recent) >= self.overall or (last is not None and now - last < self.per_chat_gap - 1e-9):
            self.refused.append((now, chat))
            return False
        self._recent.append(now)
        self._last[chat] = now
        self.accepted.append((now, chat))
        return True


class FakeBotApi:
    """Serves `/bot<TOKEN>/<method>` on 127.0.0.1 and records every call (method, params).

    With `limits`, sends past the platform's limits get 429s; chats in `blocked` get 403 (the
    worker blocked the bot).
    """

    def __init__(self, token: str) -> None:
        self.token = token
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.refused: list[tuple[str, dict[str, Any]]] = []  # (the platform's error, the call) it refused
        self.updates: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._script: dict[str, deque[Scripted]] = defaultdict(deque)
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.called = asyncio.Event()
        self._closing = asyncio.Event()
        self.limits: Limits | None = None
        self.blocked: set[str] = set()
        self.scripted_at: list[tuple[float, int]] = []  # (wall time, status) of each canned answer served

    async def start(self) -> str:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # A long poll the bot gave up on (it stopped) must not hold the server open: cancel it.
        self._runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def close(self) -> None:
        self._closing.set()
        if self._runner is not None:
            await self._runner.cleanup()

    def script(self, method: str, status: int, body: dict[str, Any], times: int = 1) -> None:
        """Answer the next `times` calls of `method` with this status and body."""
        self._script[method].extend(Scripted(status, body) for _ in range(times))

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [params for name, params in self.calls if name == method]

    def accepted(self, method: str) -> list[dict[str, Any]]:
        """The calls of `method` the platform took (not those it refused as over its limits)."""
        refused = {id(params) for _, params in self.refused}
        return [params for params in self.calls_of(method) if id(params) not in refused]

    async def params(self, request: web.Request) -> dict[str, Any]:
        raise NotImplementedError

    async def answer(self, method: str, params: dict[str, Any]) -> web.Response:
        raise NotImplementedError

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        params = await self.params(request)
        self.calls.append((method, params))
        self.called.set()
        if self._script[method]:
            canned = self._script[method].popleft()
            self.scripted_at.append((time.time(), canned.status))
            return web.json_response(canned.body, status=canned.status)
        if method == "sendMessage":
            chat = str(params.get("chat_id"))
            if chat in self.blocked:
                return web.json_response(self.forbidden(), status=403)
            if self.limits is not None and not self.limits.admit(chat):
                return web.json_response(self.too_many(self.limits.retry_after), status=429)
        return await self.answer(method, params)

    def forbidden(self) -> dict[str, Any]:
        return {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}

    def too_many(self, retry_after: int) -> dict[str, Any]:
        return {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }

    async def next_update(self, timeout: float) -> dict[str, Any] | None:
        """The next queued update, waiting up to `timeout` (long polling) unless the server closes."""
        get = asyncio.ensure_future(self.updates.get())
        closing = asyncio.ensure_future(self._closing.wait())
        try:
            done, _ = await asyncio.wait({get, closing}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
            if not get.done():
                get.cancel()
        return get.result() if get in done else None
