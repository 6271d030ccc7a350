"""What the desks (brokers.py, followups.py) need of the Responder that owns them.

The desks decide; the Responder builds the replies. Typing the desks against this protocol,
not against `actions.respond.Responder`, keeps the imports one way: respond.py imports the
desks, never the reverse.
"""

from __future__ import annotations

from typing import Protocol

from actions.context import ContextRules
from actions.types import Option, Outcome, Policy, Reply, State
from knowledge.model import Entry, KnowledgeBase


class Replies(Protocol):
    """Builds the outcome of a turn: answers, menus, handoffs (actions/respond.py)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def policy(self) -> Policy: ...

    def _outcome(self, state: State, reply: Reply, kind: str, topic: str, intent: str, **kw: object) -> Outcome: ...

    def answer(self, state: State, entry: Entry, confidence: float, question: str = "", note: str = "") -> Outcome: ...

    def answer_or_ask_province(self, state: State, entry: Entry, confidence: float, question: str) -> Outcome: ...

    def topic_menu(
        self,
        state: State,
        topic: str,
        lead: str = "",
        confidence: float = 1.0,
        answered: bool = True,
        question: str | None = None,
    ) -> Outcome: ...

    def topic_options(self, state: State, topic: str, leave_out: str = "") -> list[Option]: ...

    def menu_options(self) -> list[Option]: ...

    def province_options(self) -> list[Option]: ...

    @property
    def context(self) -> ContextRules: ...

    def menu(self, state: State, text_key: str = "menu", intent: str = "menu") -> Outcome: ...

    def handoff(self, state: State, question: str | None, intent: str = "human", urgent: bool = False) -> Outcome: ...

    def set_province(self, state: State, province: str) -> Outcome: ...
