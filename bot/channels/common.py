"""What every channel adapter shares: the secret check, reading a webhook body, the step from
IncomingMessage to a recorded answer, and sending replies in the background.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import math
from collections import Counter, OrderedDict
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from bot.channels.ratelimit import Clock
from bot.service import BotService, DuplicateMessage, Handled, IncomingMessage, Render
from bot.store.store import OutboxClaim
from bot.web.proxy import Network, client_address

log = logging.getLogger(__name__)

SENT = "sent"
FAILED = "failed"
NOTHING = "none"  # the core chose not to answer (e.g. flood control): nothing to send


def secret_matches(given: str | None, expected: str) -> bool:
    """Compare a webhook's secret header with ours in constant time (a non-ASCII one never matches)."""
    if given is None or not given.isascii():
        return False
    return hmac.compare_digest(given.encode("ascii"), expected.encode())


class SecretGuard:
    """Wrong webhook secrets per source address: after `failures` within `window` seconds, the
    address is answered 429 without checking, until the window has passed.

    In process memory (each bot process counts its own), bounded to `max_addresses`.
    """

    def __init__(
        self,
        clock: Clock,
        failures: int = 5,
        window: float = 300.0,
        max_addresses: int = 10_000,
        trusted: Sequence[Network] = (),
    ) -> None:
        self.clock = clock
        self.trusted = tuple(trusted)  # proxies whose X-Forwarded-For is believed
        self.failures = failures
        self.window = window
        self.max_addresses = max_addresses
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()  # address → (failures, window start)

    def _current(self, address: str) -> int:
        found = self._seen.get(address)
        if found is None:
            return 0
        count, start = found
        if self.clock.now() - start >= self.window:
            del self._seen[address]
            return 0
        return count

    def blocked(self, address: str) -> float | None:
        """Seconds until the address may try again, or None if it may now."""
        if self._current(address) < self.failures:
            return None
        return self.window - (self.clock.now() - self._seen[address][1])

    def failed(self, address: str) -> None:
        count = self._current(address)
        start = self._seen.pop(address)[1] if count else self.clock.now()
        self._seen[address] = (count + 1, start)
        if len(self._seen) > self.max_addresses:
            self._seen.popitem(last=False)


def check_secret(
    request: web.Request, header: str, expected: str, guard: SecretGuard | None = None, address: str = "-"
) -> web.Response | None:
    """401 for a missing secret, 403 for a wrong one, 429 (unchecked) for an address that sent
    too many wrong ones lately; None when it matches."""
    if guard is not None:
        wait = guard.blocked(address)
        if wait is not None:
            headers = {"Retry-After": str(max(1, math.ceil(wait)))}
            return web.json_response({"ok": False, "error": "too many wrong secrets"}, status=429, headers=headers)
    given = request.headers.get(header)
    if given is None:
        return web.json_response({"ok": False, "error": "missing secret"}, status=401)
    if not secret_matches(given, expected):
        if guard is not None:
            guard.failed(address)
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


MAX_JOURNALED_STATUSES = 100_000  # kept in memory until the journal is back in the database


def transient(exc: BaseException) -> bool:
    """A failure worth sending again later (the platform unreachable or slow), not a refusal."""
    from telegram.error import BadRequest, NetworkError

    if isinstance(exc, NetworkError):
        return not isinstance(exc, BadRequest)  # PTB's BadRequest is a NetworkError too
    return isinstance(exc, aiohttp.ClientError | TimeoutError | OSError)


class WebhookChannel(Protocol):
    secret: str | None
    stats: ChannelStats


async def webhook_body(
    request: web.Request,
    channel: WebhookChannel | None,
    header: str,
    guard: SecretGuard | None = None,
) -> dict[str, Any] | web.Response:
    """The JSON object a webhook carries once its secret header is checked; else the refusal.

    404 when the channel is off; 401/403 for a missing or wrong secret (nothing logged or sent),
    429 for an address that sent too many wrong ones (`guard`; X-Forwarded-For believed only from
    its trusted proxies); 415, 413 or 400 (raised) for a body that is not one JSON object.
    Refusals are counted.
    """
    if channel is None or channel.secret is None:
        raise web.HTTPNotFound()
    address = client_address(request, guard.trusted) if guard is not None else "-"
    refused = check_secret(request, header, channel.secret, guard, address)
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
    """The channel-neutral step: the core answers and records once (it attributes campaigns itself)."""

    def __init__(self, service: BotService, stats: ChannelStats) -> None:
        self.service = service
        self.stats = stats

    async def receive(
        self, msg: IncomingMessage, render: Render | None = None, outbox_lease: float = 60.0
    ) -> Handled | None:
        """Answer and record one message (with its rendered reply in the durable outbox, given
        `render`); None for an update the platform delivered before."""
        self.stats.count("received")
        try:
            return await self.service.handle(msg, render, outbox_lease)
        except DuplicateMessage:
            self.stats.count("duplicate")
            return None


MAX_ATTEMPTS = 5  # claims of one durable reply before it counts as failed


class Outbox:
    """Sends replies in the background and records against each inquiry how its delivery ended.

    A durable reply (its row in the store's outbox, written with the record) is deleted with its
    status once sent or refused. One cut short (shutdown, crash) or failed for now (network) stays
    in the store, and `pump` sends it when its hold runs out, in this process or another.
    A reply whose record went to the journal is sent from memory; its status is written by the
    update's id once the journal is back in the database.
    """

    def __init__(self, service: BotService, stats: ChannelStats, channel: str = "") -> None:
        self.service = service
        self.stats = stats
        self.channel = channel
        self._tasks: set[asyncio.Task[None]] = set()
        self._unrecorded: set[int] = set()  # inquiries whose delivery has no status yet
        self._sending: set[int] = set()  # durable replies this process is sending now
        self._by_update: dict[str, str] = {}  # statuses of journaled records, by update id
        # Statuses not yet written: one writer at a time takes all that piled up while it wrote
        # the last batch, so under load many statuses share one transaction.
        self._statuses: dict[int, str] = {}
        self._writing = False

    def deliver(
        self,
        inquiry_id: int,
        send: Coroutine[Any, Any, None],
        durable: bool = False,
        external_id: str | None = None,
    ) -> None:
        """Send a reply (rate-limited, retried after 429) and then mark its inquiry sent or failed.

        `durable`: the reply has its outbox row; `external_id`: the update id of a journaled record.
        """
        if durable:
            self._sending.add(inquiry_id)
            self._spawn(self._deliver_durable(inquiry_id, send))
            return
        self._unrecorded.add(inquiry_id)
        self._spawn(self._deliver(inquiry_id, send, external_id))

    async def _deliver_durable(self, inquiry_id: int, send: Coroutine[Any, Any, None]) -> None:
        try:
            await send
        except asyncio.CancelledError:  # shutting down: the row stays, for the next process
            log.info("reply to inquiry %d left in the outbox: shutting down", inquiry_id)
            raise
        except Exception as exc:
            if transient(exc):
                log.info("reply to inquiry %d not sent for now (%s): retried later", inquiry_id, type(exc).__name__)
                self.stats.count("retry")
            else:
                log.warning("reply to inquiry %d failed: %s", inquiry_id, type(exc).__name__)
                await self._record(inquiry_id, FAILED)
        else:
            await self._record(inquiry_id, SENT)
        finally:
            self._sending.discard(inquiry_id)

    async def pump(self, send: Callable[[str, list[dict[str, Any]]], Coroutine[Any, Any, None]], lease: float) -> int:
        """Claim durable replies whose hold ran out (a crashed process's, or ones to try again) and
        send them; how many were claimed."""
        await self.write_journaled_statuses()
        if self._sending:  # still queued here (paced sends): no other process may take them meanwhile
            await self.service.store.hold_outbox(sorted(self._sending), lease)
        claims = await self.service.store.claim_outbox(self.channel, lease)
        for claim in claims:
            self._resume(claim, send)
        return len(claims)

    def _resume(
        self, claim: OutboxClaim, send: Callable[[str, list[dict[str, Any]]], Coroutine[Any, Any, None]]
    ) -> None:
        if claim.inquiry_id in self._sending:
            return  # still on its way from this process
        address = self.service.addresses.decrypt(claim.address)
        if address is None or claim.attempts > MAX_ATTEMPTS:
            self._spawn(self._record(claim.inquiry_id, FAILED))
            return
        self.stats.count("resumed")
        self.deliver(claim.inquiry_id, send(address, claim.messages), durable=True)

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

    async def _deliver(self, inquiry_id: int, send: Coroutine[Any, Any, None], external_id: str | None = None) -> None:
        try:
            await send
        except asyncio.CancelledError:
            log.warning("reply to inquiry %d not sent: shutting down", inquiry_id)
            await self._record(inquiry_id, FAILED, external_id)
            raise
        except Exception as exc:
            log.warning("reply to inquiry %d failed: %s", inquiry_id, type(exc).__name__)
            await self._record(inquiry_id, FAILED, external_id)
        else:
            await self._record(inquiry_id, SENT, external_id)

    async def _record(self, inquiry_id: int, status: str, external_id: str | None = None) -> None:
        self._unrecorded.discard(inquiry_id)
        self.stats.count(status)
        if inquiry_id:
            self._statuses[inquiry_id] = status
        elif external_id is not None and len(self._by_update) < MAX_JOURNALED_STATUSES:
            self._by_update[external_id] = status  # the record is in the journal: written by update id
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

    async def write_journaled_statuses(self) -> None:
        """Write the statuses of replies to journaled records whose records reached the database."""
        if not self._by_update:
            return
        batch = dict(self._by_update)
        found = await self.service.store.set_deliveries_by_update(self.channel, batch)
        for external_id in found:
            self._by_update.pop(external_id, None)

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


def pump_outbox(pump: Callable[[], Coroutine[Any, Any, int]], every: float) -> asyncio.Task[None]:
    """Run `pump` now (replies a crashed process left) and then every `every` seconds, for the life
    of the channel (stop it with `stop`)."""

    async def loop() -> None:
        while True:
            try:
                await pump()
            except Exception as exc:  # the database or platform away: next time
                log.warning("outbox pump failed: %s", type(exc).__name__)
            await asyncio.sleep(every)

    return asyncio.get_running_loop().create_task(loop())


async def stop(task: asyncio.Task[Any]) -> None:
    """Cancel a background task and wait for it to end."""
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
