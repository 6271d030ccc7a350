"""What both fake Bot APIs share: an aiohttp server on a free loopback port, scripted failures."""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web


@dataclass(frozen=True)
class Scripted:
    """A canned answer to the next call of one method."""

    status: int
    body: dict[str, Any]


class FakeBotApi:
    """Serves `/bot<TOKEN>/<method>` on 127.0.0.1 and records every call (method, params)."""

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
            return web.json_response(canned.body, status=canned.status)
        return await self.answer(method, params)

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
