"""The dialogue step around the actions: state in, reply and inquiry record out."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from actions.respond import Responder, Turn, command_of
from actions.types import Outcome, Policy, State
from bot.privacy import load_or_create_key, pseudonym, redact
from bot.settings import Settings
from bot.store.store import Store, TurnRecord
from knowledge.model import KnowledgeBase, load_knowledge
from nlu.engine import EmbeddedEngine, NluEngine, Understanding
from nlu.normalize import clean, normalize

log = logging.getLogger(__name__)

MAX_STORED_CHARS = 4000


@dataclass(frozen=True, slots=True)
class IncomingMessage:
    """One message from any channel, in the bot's own terms."""

    channel: str  # telegram, zalo, web, cli
    user_ref: str  # the platform's id for the user; hashed before anything is stored
    text: str = ""
    kind: str = "text"  # text, button, sticker, image, voice, …
    payload: str | None = None  # button data
    external_id: str | None = None  # the platform's update id, for deduplication
    campaign: str | None = None
    province: str | None = None  # chosen outside the conversation (CLI --province, web chat)


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: Outcome
    inquiry_id: int
    user_id: str
    engine: str
    seconds: float


class BotService:
    """Understands a message, lets the actions decide, records the inquiry."""

    def __init__(
        self, kb: KnowledgeBase, engine: NluEngine, responder: Responder, store: Store, hash_key: bytes
    ) -> None:
        self.kb = kb
        self.engine = engine
        self.responder = responder
        self.store = store
        self._key = hash_key

    def user_id(self, channel: str, user_ref: str) -> str:
        return pseudonym(self._key, channel, user_ref)

    async def _understand(self, turn: Turn) -> Understanding | None:
        if turn.kind != "text" or turn.norm.is_blank or len(turn.text) > self.responder.policy.max_chars:
            return None
        if command_of(turn) is not None:
            return None
        try:
            return await self.engine.parse(turn.text)
        except Exception:  # an engine failure must not lose the message
            log.exception("NLU engine %s failed", self.engine.name)
            return None

    async def handle(self, msg: IncomingMessage) -> Handled:
        """Answer one message and write its inquiry record."""
        started = time.perf_counter()
        user_id = self.user_id(msg.channel, msg.user_ref)
        stored_state, _campaign = await self.store.load_state(user_id)
        state = State.from_dict(stored_state)
        if msg.province and msg.province in self.kb.provinces:
            state.province = msg.province
        text = clean(msg.text)
        turn = Turn(
            kind=msg.kind, text=text, norm=normalize(text[: self.responder.policy.max_chars * 2]), payload=msg.payload
        )
        understanding = await self._understand(turn)
        outcome = self.responder.respond(state, turn, understanding)
        engine_name = understanding.engine if understanding else "none"
        record = TurnRecord(
            user_id=user_id,
            channel=msg.channel,
            state=outcome.state.to_dict(),
            province=outcome.state.province,
            message_kind=msg.kind,
            text=redact(text)[:MAX_STORED_CHARS],
            normalized=redact(turn.norm.folded)[:MAX_STORED_CHARS],
            outcome=outcome.kind,
            topic=outcome.topic,
            intent=outcome.intent,
            entry_id=outcome.entry,
            confidence=outcome.confidence,
            answered=outcome.answered,
            engine=engine_name,
            reply_text=outcome.reply.text,
            external_id=msg.external_id,
            campaign=msg.campaign,
            handoff_question=redact(outcome.handoff_question) if outcome.handoff_question else None,
            feedback_for=state.last_inquiry if outcome.feedback is not None else None,
            feedback=outcome.feedback,
            delete_user=outcome.delete_user,
            remember_inquiry=outcome.reply.ask_feedback,
        )
        inquiry_id = await self.store.record(record)
        return Handled(
            outcome=outcome,
            inquiry_id=inquiry_id,
            user_id=user_id,
            engine=engine_name,
            seconds=time.perf_counter() - started,
        )


async def build_service(settings: Settings) -> BotService:
    """The composition root: knowledge, engine, actions and store, from settings."""
    kb = load_knowledge()
    engine = EmbeddedEngine.train(kb)
    store = Store(settings.database_url)
    await store.migrate()
    key = load_or_create_key(settings.hash_key, settings.data_dir)
    return BotService(kb, engine, Responder(kb, Policy.load()), store, key)
