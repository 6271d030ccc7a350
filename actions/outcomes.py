"""The outcome of a turn built from its reply: what the state remembers, the province it is about.

Every desk (respond.py, brokers/desk.py, followups.py, subscriptions.py) builds its outcomes
here, so a reply is remembered the same way whoever wrote it, and no desk reaches into another.
"""

from __future__ import annotations

from actions.types import Option, Outcome, Reply, State
from knowledge.model import ENTRY_TOPICS, KnowledgeBase

# The kinds of reply a follow-up may lean on (state.last), besides any reply from an entry.
_REMEMBERED = ("answer", "warning", "ask_province", "topic_menu", "fallback", "clarify")


class Outcomes:
    """Builds outcomes over one knowledge base: any reply, the menus, the offer of an official, the handoff."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def build(self, state: State, reply: Reply, kind: str, topic: str, intent: str, **kw: object) -> Outcome:
        """The outcome of `reply`; the state keeps its options and, for a reply a follow-up leans on, `last`."""
        state.options = [o.payload for o in reply.options]
        answered = self.kb.entries.get(str(kw.get("entry") or ""))
        entry = answered
        if entry is None and kind == "ask_province" and intent.startswith("faq/"):
            entry = self.kb.entries.get(intent[len("faq/") :])
        if (kind in _REMEMBERED or answered is not None) and topic in ENTRY_TOPICS:  # what a follow-up leans on
            last = state.last or {}
            if entry is None and last.get("topic") == topic and last.get("entry"):  # still on that subject
                state.last = dict(last)
            else:
                state.last = {"topic": topic, "entry": entry.id if entry else None, "kind": kind}
        scope = answered.scope if answered is not None and answered.scope != "national" else None
        kw.setdefault("province", scope or state.province)
        return Outcome(reply=reply, state=state, kind=kind, topic=topic, intent=intent, **kw)  # type: ignore[arg-type]

    def menu_options(self) -> list[Option]:
        topics = self.kb.responses["topics"]
        return [Option(label=str(topics[t]), payload=f"t:{t}") for t in ENTRY_TOPICS]

    def province_options(self) -> list[Option]:
        return [Option(label=p.name, payload=f"p:{p.id}") for p in self.kb.provinces.values()]

    def offer_handoff(self, state: State, question: str, urgent: bool = False) -> list[Option]:
        """Yes / no to passing `question` to an official; "có" next hands it over."""
        state.pending = {"kind": "handoff", "question": question}
        if urgent:
            state.pending["urgent"] = True
        return [
            Option(label=self.kb.text("handoff_yes"), payload="h:1"),
            Option(label=self.kb.text("handoff_no"), payload="h:0"),
        ]

    def handoff(self, state: State, question: str | None, intent: str = "human", urgent: bool = False) -> Outcome:
        """Record a request for an official (with the question, when there is one); `urgent`: a
        worker abroad in trouble, first in the officials' inbox."""
        urgent = urgent or bool((state.pending or {}).get("urgent"))
        state.pending = None
        if not question:
            state.pending = {"kind": "handoff_question"}
            reply = Reply(text=self.kb.text("handoff_nothing_to_send"))
            return self.build(state, reply, "handoff", "human", intent, confidence=1.0, answered=True)
        reply = Reply(text=self.kb.text("handoff_created_urgent" if urgent else "handoff_created"))
        return self.build(
            state,
            reply,
            "handoff",
            "human",
            intent,
            confidence=1.0,
            answered=True,
            handoff_question=question,
            urgent=urgent,
        )
