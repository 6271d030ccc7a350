"""/dangky and /huy: a worker asks for announcements (their province asked once if unknown, topics
optional) or stops them. Pure like the rest of the actions: the outcome carries `subscription`,
which the bot writes (bot/announce/store.py) once the message is recorded."""

from __future__ import annotations

from actions.context import ContextRules
from actions.outcomes import Outcomes
from actions.types import Outcome, Reply, State
from knowledge.model import ENTRY_TOPICS

SUBSCRIBE_PAYLOAD = "s:1"


class SubscriptionDesk:
    """Subscribe and unsubscribe, built through the outcome builder the Responder shares."""

    def __init__(self, outcomes: Outcomes, context: ContextRules) -> None:
        self.outcomes = outcomes
        self.context = context  # topics named after /dangky are read as in a message

    def topics_in(self, arg: str) -> list[str]:
        """Topics named after /dangky ("/dangky viec lam", "/dangky vocational"), in the menu's order."""
        if not arg.strip():
            return []
        named = {t for t in ENTRY_TOPICS if t in arg.lower().split()}
        for part in arg.replace(";", ",").split(","):
            topic = self.context.read(part).topic
            if topic:
                named.add(topic)
        return [t for t in ENTRY_TOPICS if t in named]

    def subscribe(self, state: State, arg: str = "") -> Outcome:
        """Subscribe now if the province is known; else ask it once (the answer finishes it)."""
        topics = self.topics_in(arg)
        notice = self.privacy_notice(state)
        if not state.province:
            state.pending = {"kind": "subscribe", "topics": topics}
            text = "\n\n".join(p for p in (notice, self.outcomes.kb.text("subscribe_ask_province")) if p)
            reply = Reply(text=text, options=self.outcomes.province_options())
            return self.outcomes.build(
                state, reply, "ask_province", "chitchat", "subscribe", confidence=1.0, answered=True
            )
        outcome = self.done(state, state.province, topics)
        if notice:
            outcome.reply.text = f"{notice}\n\n{outcome.reply.text}"
        return outcome

    def privacy_notice(self, state: State) -> str:
        """The privacy notice, for a worker whose first message is a subscription (a poster's link)."""
        if state.greeted:
            return ""
        state.greeted = True
        return self.outcomes.kb.text("privacy_notice")

    def done(self, state: State, province: str, topics: list[str] | None = None) -> Outcome:
        """The subscription for this province (and topics), confirmed to the worker."""
        pending = state.pending or {}
        if topics is None:
            topics = [t for t in pending.get("topics") or [] if t in ENTRY_TOPICS]
        state.province = province
        state.pending = None
        state.subscribed = True
        kb = self.outcomes.kb
        name = kb.provinces[province].name if province in kb.provinces else province
        if topics:
            labels = ", ".join(str(kb.responses["topics"][t]) for t in topics)
            scope = kb.text("subscribe_scope_topics").format(province=name, topics=labels)
        else:
            scope = kb.text("subscribe_scope_province").format(province=name)
        reply = Reply(text=kb.text("subscribe_done").format(scope=scope), options=self.outcomes.menu_options())
        outcome = self.outcomes.build(state, reply, "subscribe", "chitchat", "subscribe", confidence=1.0, answered=True)
        outcome.subscription = {"action": "subscribe", "province": province, "topics": topics}
        return outcome

    def unsubscribe(self, state: State) -> Outcome:
        """Stop announcements at once (the bot erases the address)."""
        if (state.pending or {}).get("kind") == "subscribe":
            state.pending = None
        state.subscribed = False
        reply = Reply(text=self.outcomes.kb.text("unsubscribe_done"))
        outcome = self.outcomes.build(
            state, reply, "unsubscribe", "chitchat", "unsubscribe", confidence=1.0, answered=True
        )
        outcome.subscription = {"action": "unsubscribe"}
        return outcome
