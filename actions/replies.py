"""What the follow-up desk (followups.py) needs of the Responder that owns it.

The desk decides; the Responder builds the answers and menus. Typing the desk against this
protocol, not against `actions.respond.Responder`, keeps the imports one way: respond.py imports
the desks, never the reverse. (The broker and subscription desks need no Responder: they build
their replies through the outcome builder, actions/outcomes.py.)
"""

from __future__ import annotations

from typing import Protocol

from actions.types import Option, Outcome, Policy, State
from knowledge.model import Entry, KnowledgeBase


class Replies(Protocol):
    """Answers and topic menus (actions/respond.py)."""

    @property
    def kb(self) -> KnowledgeBase: ...

    @property
    def policy(self) -> Policy: ...

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

    def set_province(self, state: State, province: str) -> Outcome: ...
