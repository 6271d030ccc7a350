"""The actions: answer with sources, clarify, fall back, hand off, feedback, province.

One pure function, `respond`, decides what the bot says to one message given what the
engine understood and what the bot remembers. Both hosts call it: the bot in-process
(embedded engine, or Rasa NLU over HTTP) and the Rasa action server. The replies it chooses
among are in answers.py; what a message leaning on the previous turn means, in followups.py.
"""

from __future__ import annotations

from dataclasses import replace

from actions.answers import Answers
from actions.brokers.desk import BrokerDesk
from actions.brokers.listing import Directory
from actions.brokers.rules import BrokerRules
from actions.context import ContextRules, Reading
from actions.followups import FollowUpDesk
from actions.places import words
from actions.situations import SituationDetector
from actions.subscriptions import SUBSCRIBE_PAYLOAD
from actions.turns import NON_TEXT_KINDS, Turn, command_of
from actions.types import Outcome, Policy, Reply, State
from knowledge.model import ENTRY_TOPICS, KnowledgeBase
from nlu.training import UNANSWERABLE_PREFIX
from nlu.types import Candidate, Understanding

_FEEDBACK_UP = ("👍", "+1")
_FEEDBACK_DOWN = ("👎", "-1")
_YES = {"co", "u", "ok", "dong y", "duoc", "vang", "chac chan", "yes", "1"}


class Responder(Answers):
    """The dialogue actions over one knowledge base and policy: the replies (answers.py) and the decision."""

    def __init__(
        self,
        kb: KnowledgeBase,
        policy: Policy,
        brokers: BrokerRules | None = None,
        detector: SituationDetector | None = None,
        context: ContextRules | None = None,
    ) -> None:
        super().__init__(kb, policy, context or ContextRules.load())
        # Warning signs, trouble abroad, licensed enterprises; the detector is trained once per process.
        detector = detector or SituationDetector.for_kb(kb)
        self.brokers = BrokerDesk(self.outcomes, brokers or BrokerRules.load(), detector)
        self.followups = FollowUpDesk(self, self.context, self.brokers)

    # --- the decision ----------------------------------------------------------------

    def on_payload(self, state: State, payload: str, question: str) -> Outcome:
        """A button press (or its number typed on a text-only channel)."""
        kind, _, value = payload.partition(":")
        if kind == "e" and value in self.kb.entries:
            # An entry the worker picked is answered as picked (the province's variant if known).
            return self.answer(state, self.kb.entries[value], 1.0, question)
        if kind == "t" and value in ENTRY_TOPICS:
            return self.topic_menu(state, value)
        if kind == "p" and value in self.kb.provinces:
            return self.set_province(state, value)
        if kind == "h":
            pending = state.pending or {}
            if value == "1":
                return self.outcomes.handoff(state, pending.get("question") or None)
            state.pending = None
            reply = Reply(text=self.kb.text("handoff_declined"), options=self.outcomes.menu_options())
            return self.outcomes.build(
                state, reply, "handoff_declined", "chitchat", "deny", confidence=1.0, answered=True
            )
        if kind == "f" and value in ("1", "0"):
            return self.feedback(state, 1 if value == "1" else -1)
        if kind == "d":
            return self.delete(state, value == "1")
        if kind == "n":
            return self.brokers.pick(state, value, question) or self.menu(state)
        if payload == SUBSCRIBE_PAYLOAD:
            return self.subscriptions.subscribe(state)
        return self.menu(state)

    def respond(
        self,
        state: State,
        turn: Turn,
        understanding: Understanding | None,
        enterprises: Directory | None = None,
    ) -> Outcome:
        """Decide the reply to one message (`enterprises`: the licensed list; None skips the lookup)."""
        state = replace(state, options=list(state.options))
        outcome = self._unread(state, turn) or self._commanded(state, turn)
        if outcome is not None:
            return outcome
        raw = turn.text.strip()
        if (state.pending or {}).get("kind") == "handoff_question":
            return self.outcomes.handoff(state, raw, intent="handoff_question")
        reading = self.context.read(raw)
        province = reading.province
        if (
            (state.pending or {}).get("kind") in ("province", "subscribe")
            and province
            and (reading.place_only or not self.followups.sure(understanding))
        ):
            return self.set_province(state, province)  # the answer to the province question
        if province and (province != "other" or state.province is None or reading.place_only):
            state.province = province  # a place named anywhere; another province does not undo a plan's
        # a detail asked of an ordinary answer ("làm hồ sơ mất bao lâu mới nhận được tiền"): no story told
        detail = (state.last or {}).get("kind") == "answer" and reading.detail is not None
        checked = self.brokers.check(state, raw, turn.norm, understanding, enterprises, detail=detail)
        if checked is not None:
            return checked
        if understanding is None:
            return self.fallback(state, raw, "out_of_scope", "out_of_scope", 0.0)
        return self.decide(state, raw, understanding, reading)

    def _unread(self, state: State, turn: Turn) -> Outcome | None:
        """The reply to a message the engine need not read: not text, a button, a rating, nothing,
        too long, an option's number, the answer to "delete everything?"."""
        if turn.kind in NON_TEXT_KINDS:
            reply = Reply(text=self.kb.text("non_text"))
            return self.outcomes.build(state, reply, "non_text", "chitchat", f"non_text/{turn.kind}", confidence=1.0)
        if turn.kind == "button" and turn.payload:
            return self.on_payload(state, turn.payload, turn.text)
        raw = turn.text.strip()
        if raw in _FEEDBACK_UP or raw in _FEEDBACK_DOWN:
            return self.feedback(state, 1 if raw in _FEEDBACK_UP else -1)
        if turn.norm.is_blank:
            reply = Reply(text=self.kb.text("empty"), options=self.outcomes.menu_options())
            return self.outcomes.build(state, reply, "empty", "out_of_scope", "empty", confidence=1.0)
        if len(raw) > self.policy.max_chars:
            reply = Reply(text=self.kb.text("too_long"))
            return self.outcomes.build(state, reply, "too_long", "out_of_scope", "too_long", confidence=1.0)
        folded = turn.norm.folded.strip()
        if folded.isdigit() and state.options:
            index = int(folded) - 1
            if 0 <= index < len(state.options):
                return self.on_payload(state, state.options[index], raw)
        if (state.pending or {}).get("kind") == "delete":
            return self.delete(state, folded in _YES)
        return None

    def _commanded(self, state: State, turn: Turn) -> Outcome | None:
        """The reply to a command (`/tinh lao cai`) or a keyword standing for one (`huy`)."""
        command = command_of(turn)
        if command is None:
            return None
        name, arg = command
        if name == "start":
            return self.menu(state, "greeting", "greet")
        if name == "menu":
            return self.menu(state)
        if name == "province":
            province = self.context.gazetteer.province(words(arg)) if arg else None
            return self.set_province(state, province) if province else self.ask_province(state)
        if name == "human":
            return self.outcomes.handoff(state, arg or (state.pending or {}).get("question"))
        if name == "delete":
            return self.confirm_delete(state)
        if name == "subscribe":
            return self.subscriptions.subscribe(state, arg)
        if name == "unsubscribe":
            return self.subscriptions.unsubscribe(state)
        if name == "ticket":
            return self.ticket(state, arg)
        return None

    # --- conversation context ----------------------------------------------------------

    def own_province_first(
        self, state: State, candidates: list[Candidate], named: str | None = None
    ) -> list[Candidate]:
        """A close candidate from the worker's own plan goes before a national entry, and a close
        national or own-plan one before another plan province's entry the worker's has no match for."""
        if state.province not in self.kb.provinces or state.province == "other":
            return candidates
        first = self.kb.entries[str(candidates[0].entry)]
        scope = self.variant_for(first, state.province).scope
        if scope == state.province:
            return candidates
        wanted = (state.province,) if scope == "national" else ("national", state.province)
        for c in candidates[1:]:
            entry = self.kb.entries[str(c.entry)]
            if c.score >= self.policy.clarify_ratio * candidates[0].score and entry.scope in wanted:
                return [c, *(o for o in candidates if o is not c)]
        if scope != "national" and named != scope and candidates[0].score < self.policy.other_plan_threshold:
            # another plan's entry, its province not named, the engine unsure ("trường nào" read as "thị
            # trường"): not that plan's answer to a worker of this province; what fits here, if anything
            return [c for c in candidates if self.kb.entries[str(c.entry)].scope in wanted]
        return candidates

    def decide(self, state: State, question: str, und: Understanding, reading: Reading | None = None) -> Outcome:
        """Act on what the engine understood, in the light of the previous turn."""
        reading = reading or self.context.read(question)
        contextual = self.followups.resolve(state, question, und, reading)
        if contextual is not None:
            return contextual
        outcome = self._decide(state, question, und, reading)
        if outcome.entry is None and outcome.kind in ("fallback", "clarify", "topic_menu"):
            self.followups.remember_candidates(outcome, und)  # a place sent next re-asks the question there
        return outcome

    def _decide(self, state: State, question: str, und: Understanding, reading: Reading) -> Outcome:
        """The reply to a message that does not lean on the previous turn."""
        best = und.best
        pending = state.pending or {}
        if und.topic == "chitchat" and best is not None:
            intent = und.intent
            if intent == "greet":
                return self.menu(state, "greeting", "greet")
            if intent in ("anyone_there", "bot_identity"):
                return self.introduce(state, intent)
            if intent == "menu":
                return self.menu(state)
            if intent == "affirm" and pending.get("kind") == "handoff":
                return self.outcomes.handoff(state, pending.get("question"))
            if intent == "deny" and pending.get("kind") == "handoff":
                return self.on_payload(state, "h:0", question)
            key = intent if intent in ("thanks", "goodbye", "affirm", "deny") else "affirm"
            state.pending = None
            reply = Reply(text=self.kb.text(key))
            return self.outcomes.build(
                state, reply, "chitchat", "chitchat", intent, confidence=und.topic_confidence, answered=True
            )
        if und.topic == "human":
            return self.outcomes.handoff(state, pending.get("question") or question)
        if und.topic == "out_of_scope" or und.topic_confidence < self.policy.topic_threshold:
            score = best.score if best else 0.0
            return self.fallback(state, question, "out_of_scope", "out_of_scope", score)
        candidates = [c for c in und.entries() if c.topic == und.topic]
        unanswerable = und.intent.startswith(UNANSWERABLE_PREFIX)
        if unanswerable or not candidates or candidates[0].score < self.policy.answer_threshold:
            lead = self.kb.text("not_in_plans")
            score = und.topic_confidence if unanswerable or not candidates else candidates[0].score
            return self.topic_menu(state, und.topic, lead=lead, confidence=score, answered=False, question=question)
        candidates = self.own_province_first(state, candidates, reading.province)
        if not candidates or candidates[0].score < self.policy.answer_threshold:
            lead = self.kb.text("not_in_plans")
            return self.topic_menu(state, und.topic, lead=lead, confidence=0.0, answered=False, question=question)
        first = self.kb.entries[str(candidates[0].entry)]
        office = self.followups.subject_office(state, first, question, reading)  # "cai nghiện giờ còn do sở LĐ không"
        if office is not None:
            return self.answer_or_ask_province(state, office, candidates[0].score, question)
        first = self.followups.national_when_unknown(state, first, reading)
        own = self.followups.own_entry(state, first, reading)
        ratio = self.policy.clarify_ratio
        close = [
            entry
            for entry in (
                self.kb.entries[str(c.entry)] for c in candidates[1:] if c.score >= ratio * candidates[0].score
            )
            if not (first.group and entry.group == first.group)
            and own.id not in (entry.id, self.followups.own_entry(state, entry, reading).id)  # one question there
        ]
        if close and candidates[0].score < self.policy.clarify_ceiling:
            return self.clarify(state, [first, *close[: self.policy.max_options - 1]], und.topic, candidates[0].score)
        if own is not first:  # the province named with the question ("em ở Bắc Hà, mới đi Hàn về"): its own entry
            outcome = self.answer_or_ask_province(state, own, candidates[0].score, question)
            outcome.topic = und.topic  # on the topic asked
            if state.last and state.last.get("entry") == outcome.entry:
                state.last["subject"] = und.topic  # "tốn tiền không" next: about what was asked
            return outcome
        return self.answer_or_ask_province(state, first, candidates[0].score, question)
