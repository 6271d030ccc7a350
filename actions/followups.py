"""Follow-ups: a message resolved against the previous turn (what actions/context.py reads in it).

The desk decides; the Responder (actions/respond.py) builds the replies, as for BrokerDesk.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.context import ContextRules, Reading
from actions.types import Outcome, State
from knowledge.model import ENTRY_TOPICS, Entry, KnowledgeBase
from nlu.training import UNANSWERABLE_PREFIX
from nlu.types import Understanding

if TYPE_CHECKING:
    from actions.respond import Responder

SHORT = 5  # words: a message this short that the NLU is unsure of may lean on the previous answer
_RESTATED = 3  # words beside a place that may restate the previous subject
_OVERLAP = 0.5  # share of its asking words a related entry's examples must hold to be what it means


class FollowUpDesk:
    """Follow-ups for one Responder: the same question elsewhere, its steps, a related entry."""

    def __init__(self, responder: Responder, rules: ContextRules) -> None:
        self.responder = responder
        self.rules = rules
        self._vocabulary: dict[str, frozenset[str]] = {}

    @property
    def kb(self) -> KnowledgeBase:
        return self.responder.kb

    def sure(self, und: Understanding | None) -> bool:
        """Whether the engine is sure of an entry: a clear new question, which context must not overrule."""
        entries = und.entries() if und is not None else []
        return bool(entries) and entries[0].score >= self.rules.sure and und is not None and und.topic in ENTRY_TOPICS

    def _entry_words(self, entry: Entry) -> frozenset[str]:
        if entry.id not in self._vocabulary:
            texts = (entry.title, *entry.examples)
            self._vocabulary[entry.id] = frozenset(w for t in texts for w in self.rules.tokens(t))
        return self._vocabulary[entry.id]

    def related_to(self, previous: Entry, question: str, und: Understanding | None) -> Entry | None:
        """The entry related to the previous one that a short, unsure question most likely means."""
        asked = self.rules.content_words(question)
        if not asked:
            return None
        scores = {c.entry: c.score for c in (und.entries() if und is not None else [])}
        best, best_score = None, 0.0
        for entry_id in previous.related:
            entry = self.kb.entries.get(entry_id)
            if entry is None:
                continue
            overlap = len(asked & self._entry_words(entry)) / len(asked)
            score = overlap + scores.get(entry.id, 0.0)
            if overlap >= _OVERLAP and score > best_score:
                best, best_score = entry, score
        return best

    def same_for_province(self, state: State, previous: Entry, province: str, question: str) -> Outcome:
        """The previous question asked again for another province ("còn Lào Cai thì sao")."""
        state.province = province
        name = self.kb.provinces[province].name if province in self.kb.provinces else province
        if province == "other":  # no plan there: the same answer, said to be another province's plan
            note = ""
            if previous.scope in self.kb.provinces:
                plan = self.kb.provinces[previous.scope].name
                note = self.kb.text("other_province_note").format(province=plan)
            return self.responder.answer(state, previous, 1.0, question, note)
        target = previous if previous.scope in ("national", province) else None
        target = target or self.rules.counterpart(previous, province, self.kb)
        if target is not None:
            return self.responder.answer(state, target, 1.0, question)
        lead = self.kb.text("followup_not_in_province").format(province=name)
        return self.responder.topic_menu(
            state, previous.topic, lead=lead, confidence=1.0, answered=False, question=question
        )

    def restates(self, previous: Entry, reading: Reading) -> bool:
        """Whether the words beside a place only name the previous subject ("thế lào cai chỉ tiêu ra sao")."""
        beside = reading.beside_place
        if reading.place_only or reading.cue or not beside or len(beside) > _RESTATED:
            return False
        return beside <= self._entry_words(previous) and reading.province != previous.scope

    def steps(self, state: State, previous: Entry, kind: str, question: str, more: bool = False) -> Outcome:
        """What to do after the previous answer (the same entry again for "more"); after a warning, its advice."""
        if kind == "warning":
            return self.responder.answer(state, previous, 1.0, question, self.kb.text("warning_steps"))
        if state.province and previous.scope not in ("national", state.province):  # "vậy kiên giang thì hỏi ai"
            previous = self.rules.counterpart(previous, state.province, self.kb) or previous
        target = previous if more else self.rules.steps_for(previous, state.province, self.kb)
        return self.responder.answer(state, target, 1.0, question)

    def resolve(self, state: State, question: str, und: Understanding, reading: Reading) -> Outcome | None:
        """Resolve a message against the previous turn, if it leans on it (None: a question of its own)."""
        last = state.last or {}
        previous = self.kb.entries.get(str(last.get("entry") or ""))
        if reading.place_only and reading.province:
            if previous is not None and (reading.points_back or previous.scope not in ("national", reading.province)):
                return self.same_for_province(state, previous, reading.province, question)
            if previous is None and last.get("topic") in ENTRY_TOPICS:
                state.province = reading.province
                return self.responder.topic_menu(state, str(last["topic"]))
            return self.responder.set_province(state, reading.province)
        if reading.province and previous is not None and self.restates(previous, reading):
            return self.same_for_province(state, previous, reading.province, question)
        if reading.cue == "steps" and previous is None and last.get("topic") in ENTRY_TOPICS:  # after a menu
            target = self.rules.steps_for_topic(str(last["topic"]), state.province, self.kb)
            if target is not None:
                return self.responder.answer(state, target, 1.0, question)
        if reading.cue and previous is not None:
            return self.steps(state, previous, str(last.get("kind")), question, more=reading.cue == "more")
        more = reading.beside_more
        if previous is not None and more is not None and len(more) <= _RESTATED and more <= self._entry_words(previous):
            return self.steps(state, previous, str(last.get("kind")), question, more=True)  # "cụ thể được hỗ trợ gì"
        if reading.topic:
            return self.responder.topic_menu(state, reading.topic)
        chatting = und.topic in ("chitchat", "human") and und.topic_confidence >= self.responder.policy.topic_threshold
        if previous is None or chatting or self.sure(und):
            return None
        length = len(self.rules.tokens(question))
        if reading.asks_steps and length <= 2 * SHORT:  # "thế em phải làm gì để được hưởng"
            return self.steps(state, previous, str(last.get("kind")), question)
        short = length <= SHORT
        if reading.points_back or short:
            related = self.related_to(previous, question, und)
            if related is not None:
                return self.responder.answer_or_ask_province(state, related, 1.0, question)
        answerable = [
            c for c in und.entries() if c.topic == und.topic and c.score >= self.responder.policy.answer_threshold
        ]
        lost = und.topic == "out_of_scope" or und.intent.startswith(UNANSWERABLE_PREFIX) or not answerable
        if lost and short and reading.province and reading.province != previous.scope:  # "lào cai năm nay ntn"
            return self.same_for_province(state, previous, reading.province, question)
        if lost and (reading.points_back or short):  # about what was just said, and not in the plans
            lead = self.kb.text("not_in_plans")
            return self.responder.topic_menu(
                state, previous.topic, lead=lead, confidence=0.0, answered=False, question=question
            )
        return None
