"""The replies the decision (respond.py) chooses among: an answer from an entry (the worker's
province's variant, with its source and the 2025 office note), the menus, clarify, fall back,
province, feedback, delete, ticket. Each builds its outcome through actions/outcomes.py."""

from __future__ import annotations

from actions.context import ContextRules
from actions.outcomes import Outcomes
from actions.subscriptions import SUBSCRIBE_PAYLOAD, SubscriptionDesk
from actions.types import Option, Outcome, Policy, Reply, State
from knowledge.model import FORMER_OFFICES, REORGANISATION_DOC, Entry, KnowledgeBase
from nlu.normalize import normalize


class Answers:
    """The dialogue's replies over one knowledge base and policy."""

    def __init__(self, kb: KnowledgeBase, policy: Policy, context: ContextRules) -> None:
        self.kb = kb
        self.policy = policy
        self.context = context  # places, follow-up cues, bare topics (actions/context.yaml)
        self.outcomes = Outcomes(kb)  # every desk builds its outcomes here (actions/outcomes.py)
        self.subscriptions = SubscriptionDesk(self.outcomes, context)  # /dangky, /huy

    def variant_for(self, entry: Entry, province: str | None) -> Entry:
        """The entry of the same group for the worker's province, if there is one."""
        if not province or entry.scope in ("national", province) or province not in self.kb.provinces:
            return entry
        return self.context.counterpart(entry, province, self.kb) or entry

    def needs_province(self, entry: Entry, state: State) -> bool:
        if not entry.group or state.province:
            return False
        return len({e.scope for e in self.kb.by_group(entry.group) if e.scope != "national"}) > 1

    # --- actions ---------------------------------------------------------------------

    def office_note(self, state: State, entry: Entry) -> str:
        """The 2025 office change, the first time in a conversation an answer names a current office."""
        named = self.kb.offices_named(entry.answer)
        if state.office_note_given or not named or REORGANISATION_DOC not in {ref.doc for ref in entry.sources}:
            return ""
        state.office_note_given = True
        if FORMER_OFFICES.search(entry.answer):  # an entry about the reorganisation tells it itself
            return ""
        return self.kb.office_change_note(named)

    def answer(self, state: State, entry: Entry, confidence: float, question: str = "", note: str = "") -> Outcome:
        """Answer from one entry: its first screen first, then the details, notes, source line, follow-ups."""
        entry = self.variant_for(entry, state.province)
        # "có" right after an answer asks for an official about the same question.
        state.pending = {"kind": "handoff", "question": question} if question else None
        options = [
            Option(label=self.kb.entries[r].title, payload=f"e:{r}") for r in entry.related if r in self.kb.entries
        ][: self.policy.max_options]
        details = entry.answer[len(entry.first_screen) :].strip()
        parts = [entry.first_screen, note, details, self.office_note(state, entry), self.kb.source_line(entry)]
        reply = Reply(
            text="\n\n".join(p for p in parts if p),
            options=options,
            sources=self.kb.source_dicts(entry),
            ask_feedback=True,
            offer_subscribe=not state.subscribed,
        )
        return self.outcomes.build(
            state,
            reply,
            "answer",
            entry.topic,
            f"faq/{entry.id}",
            entry=entry.id,
            confidence=confidence,
            answered=True,
        )

    def plan_named(self, entry: Entry, question: str) -> bool:
        """Whether the question names a number only this entry of its group holds ("kế hoạch 280 là gì"):
        that plan's province is known, no need to ask it."""
        numbers = {w for w in normalize(question).folded.split() if w.isdigit()}
        if not numbers or not entry.group:
            return False

        def held(e: Entry) -> set[str]:
            return numbers & {w for t in (e.title, *e.examples) for w in normalize(t).folded.split()}

        others = [e for e in self.kb.by_group(entry.group) if e.id != entry.id]
        return bool(held(entry)) and not any(held(e) for e in others)

    def answer_or_ask_province(self, state: State, entry: Entry, confidence: float, question: str) -> Outcome:
        if self.needs_province(entry, state) and not self.plan_named(entry, question):
            state.pending = {"kind": "province", "entry": entry.id, "confidence": confidence, "question": question}
            reply = Reply(text=self.kb.text("ask_province"), options=self.outcomes.province_options())
            return self.outcomes.build(
                state, reply, "ask_province", entry.topic, f"faq/{entry.id}", confidence=confidence, answered=False
            )
        note = ""
        if entry.group and state.province == "other":
            chosen = self.variant_for(entry, None)
            name = self.kb.provinces[chosen.scope].name if chosen.scope in self.kb.provinces else chosen.scope
            note = self.kb.text("other_province_note").format(province=name)
        elif state.province in self.kb.provinces and state.province != "other":
            chosen = self.variant_for(entry, state.province)
            if chosen.scope in self.kb.provinces and chosen.scope != state.province:  # the other plan's answer
                own, plan = self.kb.provinces[state.province].name, self.kb.provinces[chosen.scope].name
                note = self.kb.text("other_plan_note").format(province=own, plan=plan)
        return self.answer(state, entry, confidence, question, note)

    def menu(self, state: State, text_key: str = "menu", intent: str = "menu") -> Outcome:
        state.pending = None
        parts = [self.kb.text(text_key)] if text_key != "menu" else []
        if intent == "greet" and not state.greeted:
            state.greeted = True
            parts.append(self.kb.text("privacy_notice"))
        parts.append(self.kb.text("menu"))
        options = self.outcomes.menu_options()
        if intent == "greet":  # a first contact (/start, a campaign's link): announcements offered too
            options.append(Option(label=self.kb.text("subscribe_option"), payload=SUBSCRIBE_PAYLOAD))
        reply = Reply(text="\n\n".join(parts), options=options)
        return self.outcomes.build(state, reply, "menu", "chitchat", intent, confidence=1.0, answered=True)

    def introduce(self, state: State, intent: str) -> Outcome:
        """Say who answers (an automatic assistant) and offer an official, without handing off unasked."""
        parts = [self.kb.text("who_am_i" if intent == "bot_identity" else "anyone_there")]
        if not state.greeted:
            state.greeted = True
            parts.append(self.kb.text("privacy_notice"))
        state.pending = {"kind": "handoff", "question": None}
        options = [Option(label=self.kb.text("human_option"), payload="h:1"), *self.outcomes.menu_options()]
        reply = Reply(text="\n\n".join(parts), options=options)
        return self.outcomes.build(state, reply, "chitchat", "chitchat", intent, confidence=1.0, answered=True)

    def topic_options(self, state: State, topic: str, leave_out: str = "") -> list[Option]:
        """The entries of a topic as buttons, the worker's province and the national ones first."""
        entries = [e for e in self.kb.by_topic(topic) if e.id != leave_out]
        preferred = {"national", state.province or ""}
        entries.sort(key=lambda e: (e.scope not in preferred, e.scope, e.title))
        seen_groups: set[str] = set()
        options = []
        for e in entries:
            if e.group and e.group in seen_groups:
                continue
            if e.group:
                seen_groups.add(e.group)
            options.append(Option(label=e.title, payload=f"e:{e.id}"))
        return options[: self.policy.topic_menu_size]

    def topic_menu(
        self,
        state: State,
        topic: str,
        lead: str = "",
        confidence: float = 1.0,
        answered: bool = True,
        question: str | None = None,
    ) -> Outcome:
        """List what the bot knows on a topic (the worker's province first)."""
        options = self.topic_options(state, topic)
        label = str(self.kb.responses["topics"][topic])
        text = self.kb.text("topic_intro").format(topic=label)
        if lead:
            text = f"{lead}\n\n{text}"
        kind = "topic_menu"
        if question is not None:
            options.append(Option(label=self.kb.text("human_option"), payload="h:1"))
            state.pending = {"kind": "handoff", "question": question}
            kind = "fallback"
        else:
            state.pending = None
        reply = Reply(text=text, options=options)
        return self.outcomes.build(
            state, reply, kind, topic, f"topic/{topic}", confidence=confidence, answered=answered
        )

    def fallback(self, state: State, question: str, topic: str, intent: str, confidence: float) -> Outcome:
        """Say plainly that the plans do not say; offer an official."""
        options = [
            *self.outcomes.offer_handoff(state, question),
            Option(label=self.kb.text("menu_option"), payload="m"),
        ]
        reply = Reply(text=self.kb.text("fallback"), options=options)
        return self.outcomes.build(state, reply, "fallback", topic, intent, confidence=confidence, answered=False)

    def clarify(self, state: State, candidates: list[Entry], topic: str, confidence: float) -> Outcome:
        """Ask which entry was meant (each as the worker's province has it, once)."""
        candidates = list({e.id: e for e in (self.variant_for(c, state.province) for c in candidates)}.values())
        if len(candidates) == 1:
            return self.answer_or_ask_province(state, candidates[0], confidence, "")
        state.pending = {"kind": "clarify", "entries": [e.id for e in candidates]}
        reply = Reply(
            text=self.kb.text("clarify"),
            options=[Option(label=e.title, payload=f"e:{e.id}") for e in candidates],
        )
        return self.outcomes.build(state, reply, "clarify", topic, "clarify", confidence=confidence, answered=False)

    def feedback(self, state: State, value: int) -> Outcome:
        if state.last_inquiry is None:
            reply = Reply(text=self.kb.text("feedback_nothing"))
            return self.outcomes.build(state, reply, "feedback", "chitchat", "feedback", confidence=1.0)
        reply = Reply(text=self.kb.text("feedback_thanks"))
        return self.outcomes.build(
            state, reply, "feedback", "chitchat", "feedback", confidence=1.0, answered=True, feedback=value
        )

    def set_province(self, state: State, province: str) -> Outcome:
        pending = state.pending or {}
        if pending.get("kind") == "subscribe":
            return self.subscriptions.done(state, province)
        state.province = province
        if pending.get("kind") == "province" and pending.get("entry") in self.kb.entries:
            entry = self.kb.entries[pending["entry"]]
            question = str(pending.get("question") or "")
            return self.answer_or_ask_province(state, entry, float(pending.get("confidence", 1.0)), question)
        name = self.kb.provinces[province].name if province in self.kb.provinces else province
        reply = Reply(
            text=f"{self.kb.text('province_set').format(province=name)}\n\n{self.kb.text('menu')}",
            options=self.outcomes.menu_options(),
        )
        state.pending = None
        return self.outcomes.build(state, reply, "province", "chitchat", "province", confidence=1.0, answered=True)

    def ask_province(self, state: State) -> Outcome:
        state.pending = {"kind": "province"}
        reply = Reply(text=self.kb.text("ask_province"), options=self.outcomes.province_options())
        return self.outcomes.build(state, reply, "ask_province", "chitchat", "province", confidence=1.0, answered=True)

    def confirm_delete(self, state: State) -> Outcome:
        state.pending = {"kind": "delete"}
        reply = Reply(
            text=self.kb.text("delete_confirm"),
            options=[Option(label="Có", payload="d:1"), Option(label="Không", payload="d:0")],
        )
        return self.outcomes.build(state, reply, "delete_confirm", "chitchat", "delete", confidence=1.0, answered=True)

    def ticket(self, state: State, code: str) -> Outcome:
        """`/ma [CODE]`: the bot fills in the request's status from the store (bot/tickets.py);
        the text here is what a host without the store says."""
        reply = Reply(text=self.kb.text("ticket_unavailable"))
        return self.outcomes.build(
            state, reply, "ticket", "chitchat", "ticket", confidence=1.0, answered=True, ticket=code
        )

    def delete(self, state: State, confirmed: bool) -> Outcome:
        if not confirmed:
            state.pending = None
            reply = Reply(text=self.kb.text("delete_cancelled"))
            return self.outcomes.build(state, reply, "delete", "chitchat", "delete", confidence=1.0, answered=True)
        reply = Reply(text=self.kb.text("delete_done"))
        return self.outcomes.build(
            State(), reply, "delete", "chitchat", "delete", confidence=1.0, answered=True, delete_user=True
        )
