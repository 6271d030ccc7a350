"""Every process follows the published knowledge: NOTIFY on PostgreSQL, a version poll everywhere.

When a newer version is published (by this process, another one, or `laodong kb import`),
its files are read, the knowledge base loaded and its engine and detector loaded (or trained
in a child process, once for all processes: the models are files keyed by their content) off
the event loop, then swapped into the BotService at once (BotService.reload). No restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from sqlalchemy.engine import make_url

from bot.kbstore import NOTIFY_CHANNEL, current_version, ensure_published, version_files
from bot.service import BotService
from knowledge.model import load_knowledge_files

log = logging.getLogger(__name__)


class KnowledgeFollower:
    """Keeps a BotService on the published knowledge version."""

    def __init__(self, service: BotService, poll_seconds: float = 2.0, listen: bool = True) -> None:
        self.service = service
        self.poll_seconds = poll_seconds
        self.listen = listen and service.store.backend == "postgresql"
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._listener: Any = None  # an asyncpg connection LISTENing on NOTIFY_CHANNEL

    async def start(self) -> None:
        """Follow from now on (a service built without a version takes the published one as its own)."""
        if self.service.knowledge_version is None:
            version, _files = await ensure_published(self.service.store)
            self.service.knowledge_version = version.id
        self._task = asyncio.create_task(self._run(), name="knowledge-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._close_listener()

    def wake(self) -> None:
        """Look for a new version now (a NOTIFY arrived, or this process just published)."""
        self._wake.set()

    async def check(self) -> bool:
        """Move to the published version if it is not the one served; True if it moved."""
        async with self._lock:
            version = await current_version(self.service.store)
            if version is None or version == self.service.knowledge_version:
                return False
            files = await version_files(self.service.store, version)
            kb = await asyncio.to_thread(load_knowledge_files, files)
            await self.service.reload(kb, version)
            log.info("now serving knowledge version %d", version)
            return True

    async def _run(self) -> None:
        while True:
            if self.listen and self._listener is None:
                await self._open_listener()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
            self._wake.clear()
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database away, a version that does not load: try again later
                log.exception("could not follow the published knowledge")
            if self._listener is not None and self._listener.is_closed():
                self._listener = None

    async def _open_listener(self) -> None:
        import asyncpg  # PostgreSQL only

        url = make_url(self.service.store.url).set(drivername="postgresql")
        try:
            conn = await asyncpg.connect(url.render_as_string(hide_password=False), timeout=5)
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: self._wake.set())
        except Exception as exc:  # polling carries on; the next round tries again
            log.warning("cannot LISTEN for knowledge versions (%s): polling every %.0f s", exc, self.poll_seconds)
            return
        self._listener = conn
        self._wake.set()  # a version published while nobody listened

    async def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close(timeout=2)
            self._listener = None
