"""The dialogue step around the actions: state in, reply and inquiry record out."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.exc import IntegrityError

from actions.respond import Responder
from actions.situations import SituationDetector
from actions.turns import Turn, command_of
from actions.types import Outcome, Reply, State
from bot.addresses import ADDRESSED_CHANNELS, AddressCipher
from bot.announce import store as announce_store
from bot.brain import Brain, next_brain
from bot.campaigns import attribution
from bot.contacts import with_contacts
from bot.enterprises import EnterpriseCache
from bot.flood import UserLimiter
from bot.journal import Journal, database_down
from bot.privacy import entering, pseudonym, redact
from bot.ratings import may_be_rating, typed_rating
from bot.store.models import utcnow
from bot.store.store import Forgotten, Store, TurnRecord
from bot.tickets import TicketDesk, ticket_reply, with_code
from knowledge.model import KNOWLEDGE_DIR, KnowledgeBase, load_knowledge
from nlu.engine import NluEngine, Understanding
from nlu.normalize import Normalized, normalize

log = logging.getLogger(__name__)

# The privacy boundary: a message is cut to this many characters before anything else looks at
# it (a longer one is answered "too long"), then redacted; only that text goes further.
MAX_STORED_CHARS = 4000
MAX_PAYLOAD_CHARS = 64  # button data (Telegram allows 64 bytes)


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
    reply_to: str | None = None  # the platform chat to answer in (Telegram, Zalo): kept encrypted in the outbox
    buttons: bool = True  # False: the platform shows none (Zalo), so options and ratings are typed as numbers


Render = Callable[[Reply], list[dict[str, Any]]]  # a reply as the channel will send it (JSON-able)


class DuplicateMessage(Exception):
    """The platform delivered this update before: it was answered and recorded then."""


@dataclass(frozen=True, slots=True)
class Handled:
    outcome: Outcome
    inquiry_id: int
    user_id: str
    engine: str
    seconds: float
    # The rendered reply, when the channel asked for one (handle's `render`), and whether it waits
    # in the durable outbox (False: the record went to the journal, the reply only in memory).
    messages: list[dict[str, Any]] | None = None
    queued: bool = False


class BotService:
    """Understands a message, lets the actions decide, records the inquiry."""

    def __init__(
        self,
        kb: KnowledgeBase,
        engine: NluEngine,
        responder: Responder,
        store: Store,
        hash_key: bytes,
        journal: Journal | None = None,
        knowledge_dir: Path = KNOWLEDGE_DIR,
        engine_factory: Callable[[KnowledgeBase], NluEngine] | None = None,
        detector_factory: Callable[[KnowledgeBase], SituationDetector] | None = None,
        enterprises: EnterpriseCache | None = None,
        limiter: UserLimiter | None = None,
    ) -> None:
        self._brain = Brain(kb, engine, responder)
        self.store = store
        self.knowledge_dir = knowledge_dir  # what reload() reads
        self.engine_factory = engine_factory  # what reload() trains; None: retrain an embedded engine
        self.detector_factory = detector_factory  # the situation detector reload() loads; None: trained here
        self._reload_lock = asyncio.Lock()
        self.knowledge_version: int | None = None  # the published version served (bot/kbfollow.py), if any
        self.addresses = AddressCipher(hash_key)  # handoff delivery addresses (bot/addresses.py)
        self._key = hash_key
        self.journal = journal
        self._journaled = journal is not None and journal.pending() > 0
        self.limiter = limiter  # per-user flood control (None: no limit, as in tests and the CLI)
        self.enterprises = enterprises or EnterpriseCache(store)  # the licensed list, reloaded when replaced
        self.tickets = TicketDesk(store)  # handoff ticket codes (`/ma CODE`)

    @property
    def kb(self) -> KnowledgeBase:
        return self._brain.kb

    @property
    def engine(self) -> NluEngine:
        return self._brain.engine

    @property
    def responder(self) -> Responder:
        return self._brain.responder

    def user_id(self, channel: str, user_ref: str) -> str:
        return pseudonym(self._key, channel, user_ref)

    async def reload(self, kb: KnowledgeBase | None = None, version: int | None = None) -> None:
        """Take a new knowledge base (by default, re-read `knowledge_dir`), load or train its engine
        and detector off the event loop, then swap them in at once.

        A message being handled finishes with the generation it started with.
        """
        async with self._reload_lock:
            self._brain = await asyncio.to_thread(self._next_brain, kb)
            self.knowledge_version = version

    def _next_brain(self, kb: KnowledgeBase | None = None) -> Brain:
        kb = kb if kb is not None else load_knowledge(self.knowledge_dir)
        return next_brain(self._brain, kb, self.engine_factory, self.detector_factory)

    def _handoff_address(self, msg: IncomingMessage, outcome: Outcome) -> str | None:
        """The encrypted chat id an official's reply goes to (Telegram, Zalo), for a new handoff."""
        if outcome.handoff_question is None or msg.channel not in ADDRESSED_CHANNELS:
            return None
        return self.addresses.encrypt(msg.user_ref)

    async def _understand(self, turn: Turn, brain: Brain | None = None) -> Understanding | None:
        brain = brain or self._brain
        if turn.kind != "text" or turn.norm.is_blank or len(turn.text) > brain.responder.policy.max_chars:
            return None
        if command_of(turn) is not None:
            return None
        try:
            return await brain.engine.parse(turn.text)
        except Exception:  # an engine failure must not lose the message
            log.exception("NLU engine %s failed", brain.engine.name)
            return None

    async def handle(self, msg: IncomingMessage, render: Render | None = None, outbox_lease: float = 60.0) -> Handled:
        """Answer one message and write its inquiry record (DuplicateMessage if its update was seen).

        Everything the dialogue needs happens here, on one loaded state: campaign attribution,
        a rating typed as a number, understanding, the actions' decision, the record. With
        `render` and the message's `reply_to`, the reply is rendered for the channel and kept
        in the durable outbox with the record (same transaction), held `outbox_lease` seconds by
        this process before any other may send it.
        """
        started = time.perf_counter()
        received_at = utcnow()
        brain = self._brain  # one generation of knowledge and engine for the whole message (reload())
        user_id = self.user_id(msg.channel, msg.user_ref)
        stored_state = await self._stored_state(user_id)
        msg = await self._read_in_context(msg, user_id, stored_state)
        # The boundary: cut, then redacted once; nothing below sees msg.text or msg.payload.
        text = entering(msg.text, MAX_STORED_CHARS)
        payload = entering(msg.payload, MAX_PAYLOAD_CHARS) if msg.payload else None
        state = State.from_dict(stored_state)
        if msg.province and msg.province in brain.kb.provinces:
            state.province = msg.province
        norm = normalize(text[: brain.responder.policy.max_chars * 2])
        # Folding can join what the raw text kept apart ("a.b@gmail.com" → "a b gmail com"): redacted again.
        norm = Normalized(accented=redact(norm.accented), folded=redact(norm.folded))
        turn = Turn(kind=msg.kind, text=text, norm=norm, payload=payload)
        outcome, understanding = await self._decide(brain, state, turn, user_id)
        engine_name = understanding.engine if understanding else "none"
        record = self._turn_record(msg, user_id, turn, state, outcome, engine_name, received_at)
        messages = render(outcome.reply) if render is not None else None
        self._queue(record, msg, messages, outbox_lease)
        inquiry_id = await self._write(msg, record)
        if outcome.subscription is not None and inquiry_id:
            await self._subscription(msg, user_id, outcome.subscription)
        return Handled(
            outcome=outcome,
            inquiry_id=inquiry_id,
            user_id=user_id,
            engine=engine_name,
            seconds=time.perf_counter() - started,
            messages=messages,
            queued=bool(inquiry_id) and record.outbox_address is not None,
        )

    async def _stored_state(self, user_id: str) -> dict[str, Any]:
        """The user's conversation state; with the database down (and a journal), a fresh one."""
        try:  # a repeated platform update is caught by the unique (channel, external_id) at record time
            return await self.store.load_state(user_id)
        except Exception as exc:
            if self.journal is None or not database_down(exc):
                raise
            log.warning("database unreachable: answering without the stored conversation state")
            return {}

    async def _read_in_context(self, msg: IncomingMessage, user_id: str, state: dict[str, Any]) -> IncomingMessage:
        """The message as the dialogue reads it: the campaign it names (bot/campaigns.py), and on a
        platform without buttons a "0"/"1" that rates the answer before (bot/ratings.py)."""
        try:
            if not msg.buttons and may_be_rating(msg.kind, msg.text):
                rating = await typed_rating(self.store, user_id, state, msg.text)
                return replace(msg, kind="button", payload=rating) if rating else msg
            found = await attribution(self.store, msg.channel, msg.kind, msg.text)
        except Exception as exc:
            if self.journal is None or not database_down(exc):
                raise
            return msg  # answered as it came; the journal keeps the record
        if found is None:
            return msg
        # The campaign's province for a user who has none yet; a province the user chose stays.
        province = found.province if found.province and not state.get("province") else msg.province
        return replace(msg, text=found.text, campaign=found.code, province=province)

    async def _decide(
        self, brain: Brain, state: State, turn: Turn, user_id: str
    ) -> tuple[Outcome, Understanding | None]:
        """The actions' outcome, and what the engine understood; a user sending too fast is
        recorded, not understood: told once to slow down, then not answered."""
        allowed, first_refusal = await self.limiter.allow(user_id) if self.limiter else (True, False)
        if allowed:
            understanding = await self._understand(turn, brain)
            directory = await self.enterprises.current()
            outcome = brain.responder.respond(state, turn, understanding, enterprises=directory)
            outcome = with_contacts(brain.kb, outcome, turn.norm.folded)  # where to go: the office's contact
            return await self._with_ticket(brain.kb, outcome, user_id), understanding
        text_back = brain.kb.text("slow_down") if first_refusal else ""
        outcome = Outcome(
            reply=Reply(text=text_back),
            state=state,
            kind="rate_limited",
            topic="chitchat",
            intent="rate_limited",
            confidence=1.0,
        )
        return outcome, None

    def _turn_record(
        self,
        msg: IncomingMessage,
        user_id: str,
        turn: Turn,
        state: State,
        outcome: Outcome,
        engine: str,
        received_at: dt.datetime,
    ) -> TurnRecord:
        """The inquiry record of one turn (only redacted text goes in)."""
        return TurnRecord(
            user_id=user_id,
            channel=msg.channel,
            state=outcome.state.to_dict(),
            province=outcome.state.province,
            message_kind=msg.kind,
            text=turn.text,
            normalized=turn.norm.folded[:MAX_STORED_CHARS],
            outcome=outcome.kind,
            topic=outcome.topic,
            intent=outcome.intent,
            entry_id=outcome.entry,
            confidence=outcome.confidence,
            answered=outcome.answered,
            engine=engine,
            reply_text=outcome.reply.text,
            # An idempotency key for every record, so a journaled record is written back once.
            external_id=msg.external_id or f"j-{uuid.uuid4().hex}",
            campaign=msg.campaign,
            handoff_question=outcome.handoff_question,
            handoff_address=self._handoff_address(msg, outcome),
            feedback_for=state.last_inquiry if outcome.feedback is not None else None,
            feedback=outcome.feedback,
            delete_user=outcome.delete_user,
            remember_inquiry=outcome.reply.ask_feedback,
            warning=outcome.warning,
            enterprise_name=outcome.enterprise_name[:300] if outcome.enterprise_name else None,
            received_at=received_at.isoformat(),
            urgent=outcome.urgent,
            handoff_code=outcome.ticket if outcome.handoff_question is not None else None,
        )

    def _queue(
        self, record: TurnRecord, msg: IncomingMessage, messages: list[dict[str, Any]] | None, lease: float
    ) -> None:
        """Put the rendered reply in the durable outbox with the record (or mark that none goes out)."""
        if messages is not None and not messages:
            record.delivery = "none"
        elif messages and msg.reply_to is not None:
            record.delivery = "pending"
            record.outbox_address = self.addresses.encrypt(msg.reply_to)
            record.outbox_messages = messages
            record.outbox_lease = lease

    async def _write(self, msg: IncomingMessage, record: TurnRecord) -> int:
        """Write the record (the inquiry id); with the database down, to the journal (0)."""
        try:
            inquiry_id = await self._record(msg, record)
        except Exception as exc:
            if self.journal is None or not database_down(exc):
                raise
            # Durable on local disk; written to the database later. The reply goes out from memory
            # (no outbox row, which a replay would send a second time).
            unqueued = replace(record, outbox_address=None, outbox_messages=None, outbox_lease=0.0)
            self.journal.append(replace(unqueued, delivery=None) if record.delivery == "pending" else unqueued)
            self._journaled = True
            return 0
        if self._journaled:
            await self.flush_journal()
        return inquiry_id

    async def _subscription(self, msg: IncomingMessage, user_id: str, change: dict[str, Any]) -> None:
        """Write a /dangky or /huy (bot/announce/store.py): the chat address encrypted, erased on /huy."""
        try:
            if change.get("action") == "unsubscribe":
                await announce_store.unsubscribe(self.store, user_id)
                return
            chat = msg.reply_to or msg.user_ref
            address = self.addresses.encrypt(chat) if msg.channel in ADDRESSED_CHANNELS else None
            province = change.get("province")
            topics = change.get("topics")
            await announce_store.subscribe(
                self.store,
                user_id,
                msg.channel,
                address,
                str(province) if province else None,
                [str(t) for t in topics] if isinstance(topics, list) else [],
            )
        except Exception as exc:  # the reply stands; the worker can send /dangky again
            log.error("subscription change not written: %s", type(exc).__name__)

    async def _with_ticket(self, kb: KnowledgeBase, outcome: Outcome, user_id: str) -> Outcome:
        """A new handoff gets its ticket code (told in the reply, kept in `ticket`); `/ma [CODE]`
        gets the request's status, the worker's own only (bot/tickets.py)."""
        if outcome.handoff_question is not None:
            outcome, code = with_code(kb, outcome)
            return replace(outcome, ticket=code)
        if outcome.ticket is None:
            return outcome
        try:
            return await ticket_reply(self.tickets, kb, outcome, user_id)
        except Exception as exc:
            if not database_down(exc):
                raise
            return outcome  # says the status cannot be looked up now

    async def _record(self, msg: IncomingMessage, record: TurnRecord) -> int:
        """Write the record; DuplicateMessage for a repeated platform update (the unique external id),
        also one the user had deleted (/xoa) since."""
        try:
            return await self.store.record(record)
        except Forgotten:
            if msg.external_id is not None:  # a platform update recorded before its user's /xoa
                raise DuplicateMessage(msg.external_id) from None
            return 0  # came in before a /xoa that was recorded first: answered, not recorded
        except IntegrityError:
            if msg.external_id is not None and await self.store.has_inquiry(msg.channel, msg.external_id):
                raise DuplicateMessage(msg.external_id) from None
            # Two first messages of one new user at once: the other one created the user. Write again.
            return await self.store.record(record)

    async def close(self) -> None:
        """Release the engine's connections (Rasa) and the store."""
        close = getattr(self.engine, "close", None)
        if close is not None:
            await close()
        await self.store.close()

    async def flush_journal(self) -> int:
        """Write journaled records to the database, if it takes them again."""
        if self.journal is None:
            return 0
        written = await self.journal.replay(self.store)
        self._journaled = self.journal.pending() > 0
        return written
