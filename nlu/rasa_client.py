"""The Rasa engine: a Rasa 3.6 server's HTTP API behind the bot's NluEngine interface.

`RasaEngine` asks `POST /model/parse` (the server runs with `--enable-api` and an auth
token) and turns the answer into an Understanding (nlu/rasa_parse.py). `FallbackEngine`
puts the embedded engine behind it: if Rasa fails or is slower than the timeout, the
embedded engine answers, and the Understanding's `engine` says which one did (the
inquiry log records it).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import aiohttp

from knowledge.model import KnowledgeBase
from nlu.rasa_parse import understanding_from_parse
from nlu.types import NluEngine, Understanding

log = logging.getLogger(__name__)


class RasaError(RuntimeError):
    """The Rasa server answered, but not with a parse result."""


class _Http:
    """One connection pool, opened on first use, shared by an engine and its reloads."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._session: aiohttp.ClientSession | None = None

    def session(self) -> aiohttp.ClientSession:
        import aiohttp  # only with the Rasa engine: the embedded default (and `ask`) does without it

        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class RasaEngine:
    """Rasa NLU over HTTP."""

    name = "rasa"

    def __init__(
        self,
        kb: KnowledgeBase,
        url: str,
        token: str | None = None,
        timeout: float = 10.0,
        ranking_size: int = 5,
        http: _Http | None = None,
    ) -> None:
        self._kb = kb
        self.url = url.rstrip("/")
        self._token = token
        self._ranking_size = ranking_size
        self._http = http or _Http(timeout)

    def with_knowledge(self, kb: KnowledgeBase) -> RasaEngine:
        """The same server and connections, reading entries and topics from another knowledge base."""
        return RasaEngine(kb, self.url, self._token, self._http.timeout, self._ranking_size, self._http)

    async def parse_raw(self, text: str) -> dict[str, Any]:
        """Rasa's own parse result for one message."""
        params = {"token": self._token} if self._token else {}
        async with self._http.session().post(f"{self.url}/model/parse", params=params, json={"text": text}) as resp:
            if resp.status != 200:
                raise RasaError(f"Rasa answered {resp.status}: {(await resp.text())[:200]}")
            data = await resp.json()
        if not isinstance(data, dict):
            raise RasaError("Rasa's parse result is not a JSON object")
        return data

    async def parse(self, text: str) -> Understanding:
        return understanding_from_parse(await self.parse_raw(text), self._kb, self._ranking_size)

    async def close(self) -> None:
        await self._http.close()


class FallbackEngine:
    """Ask the primary engine within a time limit; on any failure, the fallback answers."""

    def __init__(self, primary: NluEngine, fallback: NluEngine, timeout: float) -> None:
        self.primary = primary
        self.fallback = fallback
        self.timeout = timeout
        self.name = primary.name

    async def parse(self, text: str) -> Understanding:
        try:
            return await asyncio.wait_for(self.primary.parse(text), self.timeout)
        except Exception as exc:  # down, slow, or wrong: the worker still gets an answer
            reason = "timed out" if isinstance(exc, TimeoutError) else f"failed ({type(exc).__name__}: {exc})"
            log.warning("NLU engine %s %s; %s answers", self.primary.name, reason, self.fallback.name)
            return await self.fallback.parse(text)

    async def close(self) -> None:
        for engine in (self.primary, self.fallback):
            close = getattr(engine, "close", None)
            if close is not None:
                await close()
