"""Teaching the bot from the unanswered queue: the one place a selection of workers' questions
becomes example questions of an entry — a new published knowledge version (kb check first), which
this process serves at once and every other process within seconds (bot/kbfollow.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.admin.kbedit import KnowledgeEditError, add_examples
from bot.kbfollow import KnowledgeFollower
from bot.service import BotService

log = logging.getLogger(__name__)


class TeachError(RuntimeError):
    """The entry could not be taught the questions (nothing changed)."""


@dataclass(frozen=True, slots=True)
class Taught:
    entry_id: str
    added: list[str]  # the questions that became examples (duplicates and personal data skipped)
    version: int | None  # the knowledge version published with them (None: none was usable)


async def teach(
    service: BotService,
    follower: KnowledgeFollower,
    lock: asyncio.Lock,
    entry_id: str,
    questions: Sequence[str],
    actor: str,
) -> Taught:
    """Publish `questions` as example questions of `entry_id`; this process serves the version at once.

    `actor` is the official doing it (the published version records who)."""
    async with lock:
        try:
            added = await add_examples(service.store, entry_id, list(questions), actor)
        except KnowledgeEditError as exc:
            log.exception("could not add examples to %s", entry_id)
            raise TeachError(str(exc)) from exc
        if added.questions:
            await follower.check()
    return Taught(entry_id, added.questions, added.version)
