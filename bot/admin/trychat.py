"""The knowledge editor's test chat: how the bot would answer with a draft that nobody has
published yet, beside how the published bot answers.

The draft's knowledge is loaded, and its engine trained when its examples differ from the
published ones, in a thread off the event loop, kept in memory for the next questions (never
written to the models directory, never published, never swapped into the service). A question
is answered as a first message from a worker (no state, nothing stored): the text cut and
redacted where it enters, as every message is.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass

from actions.respond import Responder
from actions.turns import Turn, command_of
from actions.types import Outcome, State
from bot.contacts import with_contacts
from bot.privacy import entering, redact
from bot.service import BotService
from knowledge.model import KnowledgeBase, load_knowledge_files
from nlu.engine import EmbeddedEngine, NluEngine
from nlu.normalize import Normalized, normalize

MAX_QUESTION = 1000
KEPT_DRAFTS = 2  # drafts' engines kept in memory (each a trained model)


@dataclass(frozen=True, slots=True)
class Bot:
    """One knowledge base with the engine and actions that answer from it."""

    kb: KnowledgeBase
    engine: NluEngine
    responder: Responder
    trained: bool = False  # its own engine (else the published one's, borrowed)


def published_bot(service: BotService) -> Bot:
    return Bot(service.kb, service.engine, service.responder)


def _learned_from(kb: KnowledgeBase) -> tuple[tuple[object, ...], ...]:
    """What an engine learns from: each entry's id, topic, title and examples."""
    return tuple((e.id, e.topic, e.title, e.examples) for e in kb.entries.values())


def _build(service: BotService, files: Mapping[str, str]) -> Bot:
    """The draft's bot (blocking: run in a thread). The published engine serves when the draft
    changed nothing it learns from; the situation detector and the rules are the published ones."""
    kb = load_knowledge_files(dict(files))
    same = _learned_from(kb) == _learned_from(service.kb)
    engine = service.engine if same else EmbeddedEngine.train(kb)
    old = service.responder
    responder = Responder(kb, old.policy, brokers=old.brokers.rules, detector=old.brokers.detector, context=old.context)
    return Bot(kb, engine, responder, trained=not same)


_BOTS: OrderedDict[str, Bot] = OrderedDict()
_LOCK = asyncio.Lock()


async def draft_bot(service: BotService, files: Mapping[str, str]) -> Bot:
    """The bot of these knowledge files (a draft laid over the published version), built once."""
    key = hashlib.sha256(json.dumps(sorted(files.items())).encode()).hexdigest()
    async with _LOCK:
        found = _BOTS.get(key)
        if found is None or (not found.trained and found.engine is not service.engine):  # a reload since
            found = await asyncio.to_thread(_build, service, files)
            _BOTS[key] = found
            while len(_BOTS) > KEPT_DRAFTS:
                _BOTS.popitem(last=False)
        _BOTS.move_to_end(key)
        return found


async def ask(bot: Bot, service: BotService, question: str, province: str | None = None) -> Outcome:
    """The bot's reply to a first message; nothing is stored."""
    text = entering(question, MAX_QUESTION)
    norm = normalize(text[: bot.responder.policy.max_chars * 2])
    norm = Normalized(accented=redact(norm.accented), folded=redact(norm.folded))
    turn = Turn(kind="text", text=text, norm=norm)
    state = State(province=province if province in bot.kb.provinces else None)
    understanding = None
    if not norm.is_blank and command_of(turn) is None:
        understanding = await bot.engine.parse(text)
    outcome = bot.responder.respond(state, turn, understanding, enterprises=await service.enterprises.current())
    return with_contacts(bot.kb, outcome, norm.folded)
