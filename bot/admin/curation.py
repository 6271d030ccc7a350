"""Teaching the bot from the unanswered queue: the one place a selection of workers' questions
becomes example questions of an entry.

Today that is `kbedit.add_examples` on the knowledge folder and a retrain of this process
(`BotService.reload`). When the knowledge lives in the database, `teach` is what changes: it
publishes a knowledge version instead; the views and the queue keep calling this function.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bot.admin.kbedit import KnowledgeEditError, add_examples
from bot.service import BotService

log = logging.getLogger(__name__)


class TeachError(RuntimeError):
    """The entry could not be taught the questions (nothing changed)."""


@dataclass(frozen=True, slots=True)
class Taught:
    entry_id: str
    added: list[str]  # the questions that became examples (duplicates and personal data skipped)


async def teach(service: BotService, lock: asyncio.Lock, entry_id: str, questions: Sequence[str], actor: str) -> Taught:
    """Make `questions` example questions of `entry_id` and have the bot answer them from now on.

    `actor` is the official doing it (a published knowledge version records who)."""
    async with lock:
        try:
            added = await asyncio.to_thread(add_examples, service.knowledge_dir, entry_id, list(questions))
        except (KnowledgeEditError, OSError) as exc:
            log.exception("could not add examples to %s (for %s)", entry_id, actor)
            raise TeachError(str(exc)) from exc
        if added.questions:
            await service.reload()
    return Taught(entry_id, added.questions)
