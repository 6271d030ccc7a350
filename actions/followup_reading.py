"""What a follow-up leans on: the engine's certainty, the entries a short question may mean, a
national entry's counterpart in the worker's province (the reading half of actions/followups.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from actions.brokers.desk import BrokerDesk
from actions.context import ContextRules, Reading
from actions.types import Outcome, State
from knowledge.model import ENTRY_TOPICS, Entry, KnowledgeBase
from nlu.types import Understanding

if TYPE_CHECKING:
    from actions.replies import Replies

SHORT = 5  # words: a message this short that the NLU is unsure of may lean on the previous answer
RESTATED = 3  # words beside a place that may restate the previous subject
CANDIDATE = 0.1  # score of an entry a clarify or fallback may have stood for
_CANDIDATES = 3
_OVERLAP = 0.5  # share of its asking words a related entry's examples must hold to be what it means


class FollowUpReading:
    """The reading half of the follow-up desk: which entry a message that leans on the previous turn means."""

    def __init__(self, responder: Replies, rules: ContextRules, brokers: BrokerDesk) -> None:
        self.responder = responder
        self.brokers = brokers  # trouble abroad and its hotline
        self.rules = rules
        self._vocabulary: dict[str, frozenset[str]] = {}

    @property
    def kb(self) -> KnowledgeBase:
        return self.responder.kb

    def sure(self, und: Understanding | None) -> bool:
        """Whether the engine is sure of an entry: a clear new question, which context must not overrule."""
        entries = und.entries() if und is not None else []
        return bool(entries) and entries[0].score >= self.rules.sure and und is not None and und.topic in ENTRY_TOPICS

    def chatting(self, und: Understanding) -> bool:
        """Whether the engine is sure the message is chitchat or asks for a person."""
        return und.topic in ("chitchat", "human") and und.topic_confidence >= self.responder.policy.topic_threshold

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

    def restates(self, previous: Entry, reading: Reading) -> bool:
        """Whether the words beside a place only name the previous subject ("thế lào cai chỉ tiêu ra sao")."""
        beside = reading.beside_place
        if reading.place_only or reading.cue or not beside or len(beside) > RESTATED:
            return False
        return beside <= self._entry_words(previous) and reading.province != previous.scope

    def own_entry(self, state: State, entry: Entry, reading: Reading) -> Entry:
        """A national entry's own entry in the province named with the question ("em ở Bắc Hà, mới đi Hàn về"),
        or in the worker's province for the entries listed `local_once_known` ("còn lớp bồi dưỡng thì sao")."""
        if entry.scope != "national" or not state.province:
            return entry
        whom = reading.asks_steps and not reading.how  # "giảm nghèo hỏi ai": the office's own entry
        if entry.id in self.rules.own_steps and not whom:  # "ở Tân Hiệp, đi cho đúng luật phải chuẩn bị gì"
            return entry
        if (entry.id not in self.rules.local_once_known or whom) and reading.province != state.province:
            return entry
        return self.local(entry, state.province)

    def subject_office(self, state: State, entry: Entry, question: str, reading: Reading) -> Entry | None:
        """The office of the one subject a question about the 2025 change names, when the engine gave the note
        on the whole change or another subject's office (actions/context.yaml `office_by_subject`; the longest
        name wins where names overlap; the old office's names are no subject: "sở lao động thương binh xã hội").
        Several subjects named with the old office: the note on the whole change."""
        if entry.id not in self.rules.office_change:
            return None
        tokens = self.rules.tokens(question)
        named: list[str] = []
        i, old_named = 0, False
        while i < len(tokens):
            length, office = max((p.longest_at(tokens, i), o) for o, p in self.rules.office_by_subject.items())
            old = self.rules.old_offices.longest_at(tokens, i)
            named += [office] if length > old and office not in named else []
            old_named = old_named or (old > 0 and old >= length)
            i += max(length, old, 1)
        if len(named) > 1 and old_named:
            found = self.kb.entries.get(self.rules.office_note)
            return found if found is not None and found.id != entry.id else None
        if entry.id in named or not named:  # its own subject named: the engine's office stands
            return None
        found = self.kb.entries.get(named[0])
        if found is not None and found.id in self.rules.own_steps:  # going abroad: the province's office
            found = self.local(found, reading.province or state.province)
        return found

    def national_when_unknown(self, state: State, entry: Entry, reading: Reading) -> Entry:
        """A plan's own entry where no province is known: the national entry that answers the same question
        for every worker (`national_first`), not one province's course."""
        if entry.scope == "national" or state.province or reading.province:
            return entry
        for national in self.rules.national_first:
            if self.rules.provincial.get(national, {}).get(entry.scope) == entry.id:
                return self.kb.entries.get(national) or entry
        return entry

    def local(self, entry: Entry, province: str | None) -> Entry:
        """A national entry's own counterpart in the worker's province (actions/context.yaml `provincial`)."""
        if entry.scope != "national" or not province:
            return entry
        return self.kb.entries.get(self.rules.provincial.get(entry.id, {}).get(province, "")) or entry

    def earlier_candidate(self, last: dict[str, object], province: str) -> Entry | None:
        """After a clarify, a fallback or a menu: the entry the previous question most likely meant,
        as the named province's plan has it (None when no candidate has a plan of that province)."""
        for entry_id in last.get("candidates") or ():  # type: ignore[attr-defined]
            entry = self.kb.entries.get(str(entry_id))
            if entry is None:
                continue
            target = entry if entry.scope == province else self.rules.counterpart(entry, province, self.kb)
            if target is not None and target.scope == province:
                return target
        return None

    def remember_candidates(self, outcome: Outcome, und: Understanding) -> None:
        """Keep the entries a clarify, a fallback or a menu stood for in the state's `last`, so that
        a bare place sent next asks that question for the place (`earlier_candidate`)."""
        state = outcome.state
        offered = list((state.pending or {}).get("entries") or ()) if outcome.kind == "clarify" else []
        likely = [str(c.entry) for c in und.entries() if c.score >= CANDIDATE][:_CANDIDATES]
        candidates = list(dict.fromkeys([*offered, *likely]))
        if not candidates:
            return
        last = dict(state.last or {})
        if last.get("topic") != outcome.topic:
            last = {"topic": outcome.topic if outcome.topic in ENTRY_TOPICS else None, "entry": None}
        state.last = {**last, "kind": outcome.kind, "candidates": candidates}

    def asked_there(self, und: Understanding, reading: Reading, previous: Entry | None) -> bool:
        """A province named with words the engine is sure mean an entry of that province, where the previous
        entry has no counterpart: the engine's entry, not "not in that plan"."""
        if previous is None or reading.place_only or reading.province not in self.kb.provinces or not self.sure(und):
            return False
        top = self.kb.entries.get(str(und.entries()[0].entry))
        province = str(reading.province)
        if top is None or top.scope != province or previous.scope in ("national", province):
            return False
        return self.rules.counterpart(previous, province, self.kb) is None

    def named_topic_entry(
        self, question: str, und: Understanding, reading: Reading, previous: Entry | None
    ) -> Entry | None:
        """After "còn …", a topic named in words ("việc làm") that the engine's first entry is not on:
        the engine's best entry on the named topic, if it is a candidate at all."""
        named = reading.lead_topic
        if previous is None or named is None or named == previous.topic or not und.entries():
            return None
        if self.kb.entries[str(und.entries()[0].entry)].topic == named:
            return None  # the engine's own answer is on that topic
        asked = self.rules.content_words(question)
        best, best_score = None, 0.0
        for c in und.entries():
            entry = self.kb.entries.get(str(c.entry))
            if entry is None or c.topic != named or c.score < CANDIDATE:
                continue
            overlap = len(asked & self._entry_words(entry)) / len(asked) if asked else 0.0
            if c.score + overlap > best_score:  # the words it holds ("người khuyết tật") break a near tie
                best, best_score = entry, c.score + overlap
        return best or self.rules.main_for_topic(named, None, self.kb)  # "còn học nghề đan lục bình": its main

    def new_question(self, und: Understanding, reading: Reading) -> bool:
        """A longer message the engine is sure of, asking no steps, more or detail: a question of its own."""
        return self.sure(und) and reading.length > SHORT and reading.cue is None and not reading.place_only
