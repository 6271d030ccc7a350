"""Handoff ticket codes: the short code a worker gets when their question goes to an official,
and what `/ma CODE` (or "ma CODE") shows them — to the worker who asked, and to nobody else.

A code is 6 characters from an alphabet without the letters and digits people confuse (0/O,
1/I/L), with at least one digit (so "ma" followed by a 6-letter word is never read as a code).
Codes are random, not unique by construction: a lookup always goes by (user, code), so a code
typed by another worker — guessed, or seen over a shoulder — finds nothing.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field, replace

from sqlalchemy import select

from actions.types import Outcome
from bot.admin.models import OfficialReply
from bot.admin.texts import LOCAL_TZ, as_utc
from bot.store.models import Handoff
from bot.store.store import Store
from knowledge.model import KnowledgeBase

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
LISTED = 5  # the newest requests `/ma` without a code lists
QUOTED_CHARS = 200


def new_code() -> str:
    """A fresh ticket code: 6 unambiguous characters, at least one of them a digit."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
        if any(c.isdigit() for c in code):
            return code


def clean_code(typed: str) -> str:
    """The code as the worker typed it, upper-cased, without spaces or dashes ("k7m-2qx" → "K7M2QX")."""
    return "".join(c for c in typed.upper() if c.isalnum())[:16]


@dataclass(frozen=True, slots=True)
class Ticket:
    """One handoff as its worker may see it."""

    code: str
    state: str  # waiting, answering, answered, closed
    question: str
    asked_at: dt.datetime
    answers: list[tuple[dt.datetime, str]] = field(default_factory=list)


def ticket_state(status: str, assigned: bool, answered: bool) -> str:
    """Waiting (nobody has it), answering (an official took it or replied and keeps it open),
    answered (closed with a reply that reached the worker) or closed (without one)."""
    if status == "open":
        return "answering" if assigned or answered else "waiting"
    return "answered" if status == "answered" else "closed"


class TicketDesk:
    """Looks tickets up in the store, always by the worker's own pseudonym."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def find(self, user_id: str, code: str) -> Ticket | None:
        """The worker's own request with this code (None: no such code, or not theirs)."""
        found = await self._tickets(user_id, code)
        return found[0] if found else None

    async def mine(self, user_id: str, limit: int = LISTED) -> list[Ticket]:
        """The worker's newest requests that have a code."""
        return await self._tickets(user_id, None, limit)

    async def _tickets(self, user_id: str, code: str | None, limit: int = 1) -> list[Ticket]:
        query = select(Handoff).where(Handoff.user_id == user_id, Handoff.code.is_not(None))
        if code is not None:
            query = query.where(Handoff.code == code)
        async with self.store.sessions() as session:
            handoffs = list((await session.execute(query.order_by(Handoff.id.desc()).limit(limit))).scalars())
            ids = [h.id for h in handoffs]
            replies = (
                (
                    await session.execute(
                        select(OfficialReply)
                        .where(
                            OfficialReply.handoff_id.in_(ids),
                            OfficialReply.user_id == user_id,
                            OfficialReply.kind == "reply",
                            OfficialReply.delivery.in_(("sent", "failed")),  # written to the worker
                        )
                        .order_by(OfficialReply.id)
                    )
                )
                .scalars()
                .all()
                if ids
                else []
            )
        answers: dict[int, list[tuple[dt.datetime, str]]] = {}
        for r in replies:
            answers.setdefault(r.handoff_id, []).append((as_utc(r.created_at), r.answer or r.text))
        return [
            Ticket(
                code=str(h.code),
                state=ticket_state(h.status, h.assigned_to is not None, bool(answers.get(h.id))),
                question=h.question,
                asked_at=as_utc(h.created_at),
                answers=answers.get(h.id, []),
            )
            for h in handoffs
        ]


def _date(at: dt.datetime) -> str:
    return at.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


def _quoted(question: str) -> str:
    return question if len(question) <= QUOTED_CHARS else question[: QUOTED_CHARS - 1] + "…"


def describe(kb: KnowledgeBase, ticket: Ticket) -> str:
    """The worker's view of one request: its state, their question, the officials' answers."""
    states = kb.responses["ticket_states"]
    parts = [
        kb.text("ticket_header").format(
            code=ticket.code,
            date=_date(ticket.asked_at),
            state=states[ticket.state],
            question=_quoted(ticket.question),
        )
    ]
    parts += [kb.text("ticket_answer").format(date=_date(at), answer=text) for at, text in ticket.answers]
    if ticket.state in ("waiting", "answering"):
        parts.append(kb.text("ticket_" + ticket.state))
    return "\n\n".join(parts)


def listing(kb: KnowledgeBase, tickets: list[Ticket]) -> str:
    """The worker's newest requests, one line each, and how to see one."""
    if not tickets:
        return kb.text("ticket_none")
    states = kb.responses["ticket_states"]
    lines = [kb.text("ticket_list")]
    lines += [
        kb.text("ticket_list_item").format(code=t.code, state=states[t.state], date=_date(t.asked_at)) for t in tickets
    ]
    lines.append(kb.text("ticket_list_hint").format(code=tickets[0].code))
    return "\n".join(lines)


async def ticket_reply(desk: TicketDesk, kb: KnowledgeBase, outcome: Outcome, user_id: str) -> Outcome:
    """The outcome of `/ma [CODE]` with its text: the request's status, or the worker's requests."""
    code = clean_code(outcome.ticket or "")
    if not code:
        text = listing(kb, await desk.mine(user_id))
    else:
        found = await desk.find(user_id, code) if len(code) == CODE_LENGTH else None
        text = describe(kb, found) if found is not None else kb.text("ticket_not_found").format(code=code)
    return replace(outcome, reply=replace(outcome.reply, text=text))


def with_code(kb: KnowledgeBase, outcome: Outcome) -> tuple[Outcome, str | None]:
    """A handoff's outcome with a new ticket code told to the worker (other outcomes unchanged)."""
    if outcome.handoff_question is None:
        return outcome, None
    code = new_code()
    text = "\n\n".join(p for p in (outcome.reply.text, kb.text("handoff_code").format(code=code)) if p)
    return replace(outcome, reply=replace(outcome.reply, text=text)), code
