"""Delivery of announcements inside every `laodong serve` process.

A background task claims a small batch of pending deliveries (bot/announce/store.py: a lease,
FOR UPDATE SKIP LOCKED on PostgreSQL), and sends them one at a time through the channel's
pacer at low priority (Pacer.wait_low: replies to workers go first; with Redis every process
books the same slots). Each result is written before the next send, so a process killed
mid-way repeats at most its one in-flight message, once its lease runs out and another process
claims the rest. A 429 holds every send back as long as the platform asks (the pacer's hold)
and the same delivery is tried again; a worker who blocked the bot is marked blocked (their
subscription ends), never retried; those who left (/huy, /xoa) are marked unsubscribed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import TYPE_CHECKING

from bot.announce import store as announcements
from bot.announce.render import announcement_text
from bot.announce.transport import Blocked, RetryLater, Transport
from bot.service import BotService

if TYPE_CHECKING:
    from bot.channels.ratelimit import Clock

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5  # claims of one delivery (crashes, network trouble) before it counts as failed
RETRIES = 5  # 429s / network failures of one send tried again in place before it is put back


def worker_name() -> str:
    """Who holds a claim: host, process, and a random part (two containers may share a pid)."""
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Sender:
    """Claims, sends and records announcements for the channels this process runs."""

    def __init__(
        self,
        service: BotService,
        transports: dict[str, Transport],
        clock: Clock,
        lease: float = 30.0,
        poll: float = 2.0,
        batch: int = 20,
    ) -> None:
        self.service = service
        self.transports = transports
        self.clock = clock
        self.lease = lease
        self.poll = poll
        self.batch = batch
        self.worker = worker_name()
        self.sent = 0

    async def run(self) -> None:
        """Deliver until cancelled; a database or platform outage waits for the next round."""
        while True:
            try:
                done = await self.round()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("announcement round failed: %s", type(exc).__name__)
                done = 0
            if not done:  # polling is the loop's own time; pacing and 429 waits are the channel clock's
                await asyncio.sleep(self.poll)

    async def round(self) -> int:
        """Release due announcements, claim a batch and send it; how many deliveries were handled."""
        store = self.service.store
        await announcements.release_due(store)
        claims = await announcements.claim(store, self.worker, self.lease, self.batch, tuple(self.transports))
        if not claims:
            await announcements.close_finished(store)
        claimed_at = self.clock.now()
        for i, claim in enumerate(claims):
            if self.clock.now() - claimed_at > self.lease / 2:  # a long hold-back (429s): keep the rest
                await announcements.hold(store, [c.id for c in claims[i:]], self.lease)
                claimed_at = self.clock.now()
            try:
                await self.deliver(claim)
            except asyncio.CancelledError:  # shutting down: the rest go to another process at once
                with suppress(Exception):
                    await asyncio.wait_for(announcements.hold(store, [c.id for c in claims[i + 1 :]], 0.0), 2.0)
                raise
        return len(claims)

    async def deliver(self, claim: announcements.Claimed) -> None:
        """Send one delivery and write how it ended, before anything else is sent."""
        store = self.service.store
        if claim.address is None:
            await announcements.finish(store, claim.id, "unsubscribed")
            return
        transport = self.transports.get(claim.channel)
        if transport is None:  # the channel is off in this process: another one may have it
            await announcements.finish(store, claim.id, "pending", retry_in=self.lease)
            return
        chat = self.service.addresses.decrypt(claim.address)
        if chat is None or claim.attempts > MAX_ATTEMPTS:
            await announcements.finish(store, claim.id, "failed")
            return
        text = announcement_text(self.service.kb, claim.text, claim.channel)
        await announcements.finish(store, claim.id, await self._send(transport, chat, text, claim.id))

    async def _send(self, transport: Transport, chat: str, text: str, delivery_id: int) -> str:
        """The delivery's end state: sent, blocked or failed (pending when it must wait longer)."""
        for attempt in range(RETRIES + 1):
            try:
                await transport.send_announcement(chat, text)
            except Blocked:
                return "blocked"
            except RetryLater as exc:
                if attempt == RETRIES:
                    return "pending"
                log.info("announcement %d: retrying in %.1f s", delivery_id, exc.seconds)
                await self.clock.sleep(exc.seconds)
                continue
            except Exception as exc:
                log.warning("announcement delivery %d failed: %s", delivery_id, type(exc).__name__)
                return "failed"
            self.sent += 1
            return "sent"
        return "pending"  # pragma: no cover


@asynccontextmanager
async def sending(sender: Sender) -> AsyncIterator[Sender]:
    """Run the sender for the life of the app."""
    task = asyncio.get_running_loop().create_task(sender.run())
    try:
        yield sender
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
