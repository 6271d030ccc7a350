"""What every channel adapter shares: the secret check, reading a webhook body, the step from
IncomingMessage to a recorded answer, and sending replies in the background.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import Counter
from collections.abc import Coroutine
from typing import Any, Protocol

from aiohttp import web

from bot.campaigns import attribute
from bot.service import BotService, DuplicateMessage, Handled, IncomingMessage

log = logging.getLogger(__name__)

SENT = "sent"
FAILED = "failed"
NOTHING = "none"  # the core chose not to answer (e.g. flood control): nothing to send


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare a webhook's secret header with ours in constant time."""
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def check_secret(request: web.Request, header: str, expected: str) -> web.Response | None:
    """401 for a missing secret, 403 for a wrong one, None when it matches."""
    given = request.headers.get(header)
    if given is None:
        return web.json_response({"ok": False, "error": "missing secret"}, status=401)
    if not secret_matches(given, expected):
        return web.json_response({"ok": False, "error": "wrong secret"}, status=403)
    return None


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """The webhook body as a JSON object; 415, 413 or 400 (raised) if it is not one."""
    if request.content_type != "application/json":
        raise web.HTTPUnsupportedMediaType(text="Content-Type must be application/json")
    raw = await request.read()  # aiohttp raises 413 past the app's client_max_size
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested too deep to read
        raise web.HTTPBadRequest(text="body is not valid JSON") from None
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text="body must be a JSON object")
    return body


class WebhookChannel(Protocol):
    secret: str | None
    stats: ChannelStats


async def webhook_body(
    request: web.Request, channel: WebhookChannel | None, header: str
) -> dict[str, Any] | web.Response:
    """The JSON object a webhook carries once its secret header is checked; else the refusal.

    404 when the channel is off; 401/403 for a missing or wrong secret (nothing logged or sent);
    415, 413 or 400 (raised) for a body that is not one JSON object. Refusals are counted.
    """
    if channel is None or channel.secret is None:
        raise web.HTTPNotFound()
    refused = check_secret(request, header, channel.secret)
    if refused is not None:
        channel.stats.count("rejected")
        return refused
    try:
        return await read_json_object(request)
    except web.HTTPException:
        channel.stats.count("malformed")
        raise


class ChannelStats:
    """Counters for one channel: received, ignored, duplicate, rejected, malformed, sent, failed."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, what: str, n: int = 1) -> None:
        self.counts[what] += n

    def as_dict(self) -> dict[str, int]:
        return dict(self.counts)


class Conversations:
    """The channel-neutral step: campaign attribution, then the core answers and records once."""

    def __init__(self, service: BotService, stats: ChannelStats) -> None:
        self.service = service
        self.stats = stats

    async def receive(self, msg: IncomingMessage) -> Handled | None:
        """Answer and record one message; None for an update the platform delivered before."""
        self.stats.count("received")
        try:
            return await self.service.handle(await attribute(self.service, msg))
        except DuplicateMessage:
            self.stats.count("duplicate")
            return None


class Outbox:
    """Sends replies in the background and records against each inquiry how its delivery ended."""

    def __init__(self, service: BotService, stats: ChannelStats) -> None:
        self.service = service
        self.stats = stats
        self._tasks: set[asyncio.Task[None]] = set()
        self._unrecorded: set[int] = set()  # inquiries whose delivery has no status yet
        # Statuses not yet written: one writer at a time takes all that piled up while it wrote
        # the last batch, so under load many statuses share one transaction.
        self._statuses: dict[int, str] = {}
        self._writing = False

    def deliver(self, inquiry_id: int, send: Coroutine[Any, Any, None]) -> None:
        """Send a reply (rate-limited, retried after 429) and then mark its inquiry sent or failed."""
        self._unrecorded.add(inquiry_id)
        self._spawn(self._deliver(inquiry_id, send))

    def nothing_to_send(self, inquiry_id: int) -> None:
        """Record that an inquiry gets no reply (the core answered with silence)."""
        self._unrecorded.add(inquiry_id)
        self._spawn(self._record(inquiry_id, NOTHING))

    def spawn(self, call: Coroutine[Any, Any, Any]) -> None:
        """Run a platform call that is not a reply (e.g. stopping a button's spinner) in the background."""
        self._spawn(self._quietly(call))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, inquiry_id: int, send: Coroutine[Any, Any, None]) -> None:
        try:
            await send
        except asyncio.CancelledError:
            log.warning("reply to inquiry %d not sent: shutting down", inquiry_id)
            await self._record(inquiry_id, FAILED)
            raise
        except Exception as exc:
            log.warning("reply to inquiry %d failed: %s", inquiry_id, type(exc).__name__)
            await self._record(inquiry_id, FAILED)
        else:
            await self._record(inquiry_id, SENT)

    async def _record(self, inquiry_id: int, status: str) -> None:
        self._unrecorded.discard(inquiry_id)
        self.stats.count(status)
        if inquiry_id:  # 0: the record itself is in the journal (database down); it keeps no status
            self._statuses[inquiry_id] = status
        self._start_writer()

    def _start_writer(self) -> None:
        if self._statuses and not self._writing:
            self._writing = True
            self._spawn(self._write_statuses())

    async def _write_statuses(self) -> None:
        try:
            while self._statuses:
                batch, self._statuses = self._statuses, {}
                try:
                    await self.service.store.set_deliveries(batch)
                except Exception:
                    log.exception("could not record the delivery of %d replies", len(batch))
        finally:
            self._writing = False

    @staticmethod
    async def _quietly(call: Coroutine[Any, Any, Any]) -> None:
        try:
            await call
        except Exception as exc:
            log.info("platform call failed: %s", type(exc).__name__)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def drain(self) -> None:
        """Wait until every reply handed over so far has been sent or has failed."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def close(self, timeout: float) -> None:
        """Finish sending on shutdown; after `timeout` give up (those replies are recorded as failed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._tasks and loop.time() < deadline:
            await asyncio.wait(set(self._tasks), timeout=deadline - loop.time())
        if self._tasks:
            log.warning("shutting down with %d replies unsent: recorded as failed", len(self._tasks))
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for inquiry_id in list(self._unrecorded):  # cancelled before they even started
            await self._record(inquiry_id, FAILED)
        self._start_writer()  # statuses a cancelled writer left, and those just recorded
        await asyncio.gather(*list(self._tasks), return_exceptions=True)
