"""Conversation context: what a message leans on from the previous turn (actions/context.yaml).

Pure functions over plain data. `ContextRules.read` says what a message is besides a question
of its own: a place named (knowledge/gazetteer.yaml), a place and nothing else ("còn Lào Cai thì
sao"), "what do I do now", "tell me more", words pointing back ("cái đó"), or a bare topic
("viec lam"). The Responder decides what to do with it against the state (actions/respond.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from actions.phrases import Phrases
from actions.places import Gazetteer, PlaceHit, Words, words
from knowledge.model import Entry, KnowledgeBase
from knowledge.yamlfile import read_yaml
from nlu.normalize import load_abbreviations

CONTEXT_FILE = Path(__file__).with_name("context.yaml")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a message says besides (or instead of) a question of its own."""

    province: str | None = None  # the province of the place it names, if any
    place_only: bool = False  # a place and words that ask nothing ("còn Lào Cai thì sao", "em ở lào cai")
    beside_place: frozenset[str] = frozenset()  # the asking words beside the place ("thế lào cai chỉ tiêu ra sao")
    cue: str | None = None  # "steps", "more", "related" (why / is it true) or "cost": the message asks only that
    asks_steps: bool = False  # it asks "what do I do" among other words ("phải làm gì để được hưởng")
    how: bool = False  # what to do, and nothing of whom or where ("vậy giờ làm sao", not "hỏi ai")
    beside_more: frozenset[str] | None = None  # asks "more" among these asking words ("cụ thể được hỗ trợ gì")
    points_back: bool = False  # "cái đó …", "thế …", "còn …": it leans on what was just said
    topic: str | None = None  # a bare topic ("viec lam", "hoc nghe")
    about: tuple[str, ...] = ()  # the topics a steps cue names ("học ở đâu": a course)
    contact: bool = False  # asks for a phone number or a hotline ("số hotline", "gọi số nào")
    papers: bool = False  # asks what papers ("cần làm giấy tờ gì")
    refund: bool = False  # asks about getting money back ("đòi lại được không")
    country: bool = False  # a country and words that ask nothing ("nhật được ko")
    plan_ask: str | None = None  # only a part of a plan asked ("targets": "chỉ tiêu mỗi năm?", "who": "sở nào làm")
    switch_topic: str | None = None  # "còn học nghề thì sao": another topic, the same province
    lead_topic: str | None = None  # "còn việc làm cho người khuyết tật thì sao": a topic named after a lead
    detail: str | None = None  # a detail of the previous answer asked ("where", "duration", "which", "wage", "if")
    beside_detail: frozenset[str] = frozenset()  # the asking words beside it ("tổ chức ở đâu": none)
    length: int = 0  # words, abbreviations expanded


@dataclass(frozen=True, slots=True)
class ContextRules:
    """Everything in actions/context.yaml, and the gazetteer."""

    gazetteer: Gazetteer
    shell: Phrases
    topic_filler: Phrases
    steps: Phrases
    steps_weak: Phrases
    how: Phrases
    steps_how: Mapping[str, str]
    steps_about: tuple[tuple[tuple[str, ...], Phrases], ...]
    more: Phrases
    related: Phrases
    cost: Phrases
    anaphora: Phrases
    leads: Phrases
    topic_words: Mapping[str, Phrases]
    steps_of: Mapping[str, str]
    local_once_known: frozenset[str]
    own_steps: frozenset[str]
    office_by_subject: Mapping[str, Phrases]  # the 2025 change asked about one subject: its office
    office_change: frozenset[str]
    old_offices: Phrases
    office_note: str
    national_first: frozenset[str]  # where no province is known, these before their provincial counterparts
    plan_entries: Mapping[str, str]
    steps_by_topic: Mapping[str, Mapping[str, str]]
    counterparts: tuple[tuple[str, ...], ...]
    provincial: Mapping[str, Mapping[str, str]]
    contact: Phrases
    papers: Phrases
    after_return: Phrases  # after a trouble-abroad reply: what happens once home, a question of its own
    refund: Phrases
    countries: Phrases
    plan_asks: Mapping[str, Phrases]
    plan_parts: Mapping[str, Mapping[str, str]]
    main_by_topic: Mapping[str, Mapping[str, str]]
    targets_by_topic: Mapping[str, Mapping[str, str]]
    abbreviations: Mapping[str, str]
    details: Mapping[str, Phrases]
    detail_filler: Phrases
    detail_if_end: Phrases
    nearest_main: frozenset[str] = frozenset()  # topics whose main entry stands for the whole topic there
    sure: float = 0.5

    @classmethod
    def load(cls, path: Path = CONTEXT_FILE, gazetteer: Gazetteer | None = None) -> ContextRules:
        return _load(path, gazetteer or Gazetteer.load())

    def _tokens(self, folded: Iterable[str]) -> list[str]:
        """Folded words with the abbreviations expanded (z → vay, ko → khong)."""
        out: list[str] = []
        for word in folded:
            out.extend(self.abbreviations.get(word, word).split())
        return out

    def tokens(self, text: str) -> list[str]:
        """The folded words of a text, abbreviations expanded."""
        return self._tokens(words(text).folded)

    def content_words(self, text: str) -> frozenset[str]:
        """The words of a text that ask something (not "còn", "thì sao", "cái đó" …)."""
        tokens = self.tokens(text)
        empty = self.shell.cover(tokens) | self.anaphora.cover(tokens) | self.leads.cover(tokens)
        return frozenset(t for i, t in enumerate(tokens) if i not in empty)

    def beyond_topic(self, text: str, topic: str) -> frozenset[str]:
        """The words of a text besides the topic's own words, leads and filler ("còn cho người đi nước ngoài
        về": người): a subject of its own, not the bare topic."""
        tokens = self.tokens(text)
        phrases = self.topic_words.get(topic)
        empty = self.leads.cover(tokens) | self.topic_filler.cover(tokens)
        empty |= phrases.cover(tokens) if phrases else set()
        return frozenset(t for i, t in enumerate(tokens) if i not in empty)

    def _only(self, tokens: Sequence[str], phrases: Phrases, filler: Phrases | None = None) -> bool:
        """Whether the tokens hold one of the phrases and otherwise only filler (words that ask nothing)."""
        asked = phrases.cover(tokens)
        if not asked:
            return False
        rest = [t for i, t in enumerate(tokens) if i not in asked]
        empty = (filler or self.shell).cover(rest) | (set() if filler else self.anaphora.cover(rest))
        return len(empty) == len(rest)

    def _place_only(self, message: Words, hits: Sequence[PlaceHit]) -> bool:
        """Whether a message is places of one province and words that ask nothing."""
        if not hits or len({h.place.province for h in hits}) > 1 or len(hits) > 2:  # one province, not a comparison
            return False
        if sum(h.place.kind in ("province", "former_province") for h in hits) > 1:  # "yên bái giờ là lào cai à"
            return False
        spanned = {i for h in hits for i in range(h.start, h.end)}
        rest = self._tokens(w for i, w in enumerate(message.folded) if i not in spanned)
        return len(self.shell.cover(rest)) == len(rest)

    def _cue(self, rest: Sequence[str], placed: bool) -> str | None:
        """What a message asks of the previous answer, when it asks only that (a place aside)."""
        if self._only(rest, self.steps):
            return "steps"
        if placed:
            return None
        return next((name for name in ("cost", "related", "more") if self._only(rest, getattr(self, name))), None)

    def _detail(self, tokens: Sequence[str]) -> tuple[str | None, frozenset[str]]:
        """The detail of the previous answer a message asks ("học mất bao lâu": "duration"), and the
        asking words beside it; a case put to it ("nếu … thì sao") is "if", beside it what the case names."""
        for kind, phrases in self.details.items():
            if kind == "if" and not (phrases.starts(tokens) and self.detail_if_end.ends(tokens)):
                continue
            asked = phrases.cover(tokens) | (self.detail_if_end.cover(tokens) if kind == "if" else set())
            if not asked:
                continue
            rest = [t for i, t in enumerate(tokens) if i not in asked]
            empty = self.shell.cover(rest) | self.anaphora.cover(rest) | self.detail_filler.cover(rest)
            empty |= self.countries.cover(rest)  # "lương bên Hàn": a wage is a wage anywhere
            if kind == "plan":  # "chỉ thị 20 là gì": a document's number and "what is it" ask nothing more
                empty |= {i for i, t in enumerate(rest) if t.isdigit() or t in ("la", "gi")}
            return kind, frozenset(t for i, t in enumerate(rest) if i not in empty)
        return None, frozenset()

    def read(self, text: str) -> Reading:
        """What a message leans on (pure: the same text always reads the same)."""
        message = words(text)
        tokens = self._tokens(message.folded)
        if not tokens:
            return Reading()
        hits = self.gazetteer.find(message)
        place_only = self._place_only(message, hits)
        if not hits:  # "van ban thi sao": an ambiguous name is a place when nothing else is asked
            lenient = self.gazetteer.find(message, lenient=True)
            if lenient and self._place_only(message, lenient):
                hits, place_only = lenient, True
        province = self.gazetteer.province(message, hits)
        if province == "other" and not place_only and not any(self.gazetteer.lives_at(message, h) for h in hits):
            province = None  # "công ty ở Sài Gòn": not where the worker lives
        spanned = {i for h in hits for i in range(h.start, h.end)}
        rest = self._tokens(w for i, w in enumerate(message.folded) if i not in spanned)  # "ở kiên giang thì hỏi ai"
        cue = self._cue(rest, bool(hits))
        if hits and cue and len(self.steps_weak.cover(rest)) == len(self.steps.cover(rest)):
            cue = None  # "lào cai năm nay tính sao": how about there
            place_only = place_only or self._only(rest, self.steps_weak)
        place_only = place_only and cue is None  # "ở kiên giang thì hỏi ai" asks the steps there
        shell_rest = self.shell.cover(rest) if hits else set()
        beside = frozenset(rest[i] for i in range(len(rest)) if i not in shell_rest) if hits else frozenset()
        topic = None
        if not hits and cue is None:
            topic = next(
                (t for t, phrases in self.topic_words.items() if self._only(tokens, phrases, self.topic_filler)), None
            )
        points_back = bool(self.anaphora.cover(tokens)) or self.leads.starts(tokens)
        switch_topic = None
        if not hits and self.leads.starts(tokens):  # "còn xkld thì sao"
            switch_topic = topic or next((t for t, p in self.topic_words.items() if self._only(tokens, p)), None)
            if switch_topic is None and "," in text:  # "còn học nghề thì sao, tui muốn học thêm nghề khác"
                head = self._tokens(words(text.split(",", 1)[0]).folded)
                switch_topic = next((t for t, p in self.topic_words.items() if self._only(head, p)), None)
        lead_topic = None
        if not hits and self.leads.starts(tokens):
            lead_topic = next((t for t, p in self.topic_words.items() if p.cover(tokens)), None)
        steps = self.steps.cover(tokens)
        asks_steps = bool(steps)
        how = asks_steps and steps <= self.how.cover(tokens)
        more = self.more.cover(tokens)
        empty = more | self.shell.cover(tokens) | self.anaphora.cover(tokens)
        beside_more = frozenset(t for i, t in enumerate(tokens) if i not in empty) if more else None
        detail, beside_detail = self._detail(rest)  # a place's own words are no detail ("Kiên Lương")
        return Reading(
            province=province,
            place_only=place_only,
            beside_place=beside,
            cue=cue,
            asks_steps=asks_steps,
            how=how,
            beside_more=beside_more,
            points_back=points_back,
            topic=topic,
            about=next((topics for topics, p in self.steps_about if p.cover(rest)), ()) if cue == "steps" else (),
            contact=bool(self.contact.cover(tokens)),
            papers=bool(self.papers.cover(tokens)),
            refund=bool(self.refund.cover(rest)),  # not a place's own words ("kiên giang")
            country=not hits and self._only(tokens, self.countries),
            plan_ask=next((k for k, phrases in self.plan_asks.items() if self._only(tokens, phrases)), None),
            switch_topic=switch_topic,
            lead_topic=lead_topic,
            detail=detail,
            beside_detail=beside_detail,
            length=len(tokens),
        )

    def counterpart(self, entry: Entry, province: str, kb: KnowledgeBase, parent: bool = True) -> Entry | None:
        """The entry asking the same for another province: listed counterparts, then the group; for a
        part of a plan with none of its own (the Lào Cai plan's purpose), the counterpart of its plan."""
        found = self._counterpart(entry, province, kb)
        if found is not None or not parent:
            return found
        plans = (kb.entries.get(p) for p, parts in self.plan_parts.items() if entry.id in parts.values())
        return next((c for e in plans if e is not None and (c := self._counterpart(e, province, kb))), None)

    def _counterpart(self, entry: Entry, province: str, kb: KnowledgeBase) -> Entry | None:
        for ids in self.counterparts:
            if entry.id in ids:
                for other in ids:
                    found = kb.entries.get(other)
                    if found is not None and found.scope == province:
                        return found
        if entry.group:
            found = next((e for e in kb.by_group(entry.group) if e.scope == province), None)
            if found is not None:
                return found
        own = kb.entries.get(self.provincial.get(entry.id, {}).get(province, ""))
        if own is not None:  # a national entry's provincial counterpart ("hỗ trợ học nghề" → "lao cai")
            return own
        national = (kb.entries.get(o) for ids in self.counterparts if entry.id in ids for o in ids)
        found = next((e for e in national if e is not None and e.scope == "national"), None)
        if found is not None:
            return found
        for national_id, by_province in self.provincial.items():  # "thằng con đi Nhật về" from Phú Quốc:
            if entry.id in by_province.values():  # the other province's entry → this one's, else the national
                return kb.entries.get(by_province.get(province, "")) or kb.entries.get(national_id)
        return None

    def steps_for(self, entry: Entry, province: str | None, kb: KnowledgeBase) -> Entry:
        """The entry that says what to do next after `entry` (itself if none is named)."""
        target = kb.entries.get(self.steps_of.get(entry.id, ""))
        return target or self.steps_for_topic(entry.topic, province or entry.scope, kb) or entry

    def plan_part(self, entry: Entry, ask: str | None, kb: KnowledgeBase) -> Entry | None:
        """The entry giving a part of the plan `entry` belongs to (its targets, who does it), if listed."""
        return kb.entries.get(self.plan_parts.get(entry.id, {}).get(ask or "", ""))

    @property
    def offices(self) -> frozenset[str]:
        """The entries that name where to go (the steps and main entries): what they lack is an address."""
        return frozenset((*self.steps_of.values(), *(e for m in self.steps_by_topic.values() for e in m.values())))

    def main_for_topic(self, topic: str, province: str | None, kb: KnowledgeBase) -> Entry | None:
        """A topic's main entry for a province (else the national one)."""
        by_scope = self.main_by_topic.get(topic, {})
        return kb.entries.get(by_scope.get(province or "") or by_scope.get("national") or "")

    def switched(self, previous: Entry, topic: str, province: str | None, kb: KnowledgeBase) -> Entry | None:
        """Another topic asked after `previous` ("còn học nghề thì sao"): that topic's targets after a
        plan's targets ("còn xklđ" after the jobs target), else its main entry; for a province, else national."""
        if any(previous.id in by_scope.values() for by_scope in self.targets_by_topic.values()):
            found = kb.entries.get(self.targets_by_topic.get(topic, {}).get(province or "", ""))
            if found is not None:
                return found
        return self.main_for_topic(topic, province, kb)

    def steps_for_topic(self, topic: str, province: str | None, kb: KnowledgeBase) -> Entry | None:
        """The entry that says what to do on a topic, for a province (else the national one)."""
        by_scope = self.steps_by_topic.get(topic, {})
        return kb.entries.get(by_scope.get(province or "") or by_scope.get("national") or "")


def _ids(raw: Mapping[str, Any], key: str) -> dict[str, str]:
    return {str(k): str(v) for k, v in (raw.get(key) or {}).items()}


def _nested(raw: Mapping[str, Any], key: str) -> dict[str, dict[str, str]]:
    return {str(k): {str(a): str(e) for a, e in (m or {}).items()} for k, m in (raw.get(key) or {}).items()}


@lru_cache(maxsize=4)
def _load(path: Path, gazetteer: Gazetteer) -> ContextRules:
    raw = read_yaml(path) or {}
    return ContextRules(
        gazetteer=gazetteer,
        shell=Phrases(raw.get("shell") or ()),
        topic_filler=Phrases(raw.get("topic_filler") or ()),
        steps=Phrases(raw.get("steps") or ()),
        steps_weak=Phrases(raw.get("steps_weak") or ()),
        how=Phrases(raw.get("how") or ()),
        steps_how=_ids(raw, "steps_how"),
        steps_about=tuple(
            (tuple(str(t) for t in g.get("topics") or ()), Phrases(g.get("phrases") or ()))
            for g in raw.get("steps_about") or ()
        ),
        more=Phrases(raw.get("more") or ()),
        related=Phrases(raw.get("related") or ()),
        cost=Phrases(raw.get("cost") or ()),
        anaphora=Phrases(raw.get("anaphora") or ()),
        leads=Phrases(raw.get("leads") or ()),
        topic_words={str(t): Phrases(p or ()) for t, p in (raw.get("topic_words") or {}).items()},
        steps_of=_ids(raw, "steps_of"),
        local_once_known=frozenset(str(e) for e in raw.get("local_once_known") or ()),
        own_steps=frozenset(str(e) for e in raw.get("own_steps") or ()),
        office_by_subject={str(k): Phrases(p or ()) for k, p in (raw.get("office_by_subject") or {}).items()},
        office_change=frozenset(str(e) for e in raw.get("office_change") or ()),
        old_offices=Phrases(raw.get("old_offices") or ()),
        office_note=str(raw.get("office_note") or ""),
        national_first=frozenset(str(e) for e in raw.get("national_first") or ()),
        plan_entries=_ids(raw, "plan_entries"),
        steps_by_topic=_nested(raw, "steps_by_topic"),
        counterparts=tuple(tuple(str(i) for i in ids) for ids in raw.get("counterparts") or ()),
        provincial=_nested(raw, "provincial"),
        contact=Phrases(raw.get("contact") or ()),
        papers=Phrases(raw.get("papers") or ()),
        after_return=Phrases(raw.get("after_return") or ()),
        refund=Phrases(raw.get("refund") or ()),
        countries=Phrases(raw.get("countries") or ()),
        plan_asks={str(k): Phrases(p or ()) for k, p in (raw.get("plan_asks") or {}).items()},
        plan_parts=_nested(raw, "plan_parts"),
        main_by_topic=_nested(raw, "main_by_topic"),
        targets_by_topic=_nested(raw, "targets_by_topic"),
        nearest_main=frozenset(str(t) for t in raw.get("nearest_main") or ()),
        details={str(k): Phrases(p or ()) for k, p in (raw.get("details") or {}).items()},
        detail_filler=Phrases(raw.get("detail_filler") or ()),
        detail_if_end=Phrases(raw.get("detail_if_end") or ()),
        abbreviations={**load_abbreviations(), **{str(k): str(v) for k, v in (raw.get("abbreviations") or {}).items()}},
        sure=float(raw.get("sure", 0.5)),
    )


def check_context(rules: ContextRules, kb: KnowledgeBase) -> list[str]:
    """Problems: an entry id in context.yaml that the knowledge base does not hold."""
    named = set(rules.steps_of) | set(rules.steps_of.values())
    named |= {e for m in rules.steps_by_topic.values() for e in m.values()}
    named |= {e for ids in rules.counterparts for e in ids}
    named |= set(rules.provincial) | {e for m in rules.provincial.values() for e in m.values()}
    named |= (
        rules.local_once_known
        | rules.own_steps
        | set(rules.plan_entries.values())
        | rules.office_change
        | {rules.office_note}
    )
    named |= rules.national_first
    named |= set(rules.steps_how) | set(rules.steps_how.values()) | set(rules.office_by_subject)
    named |= set(rules.plan_parts) | {e for m in rules.plan_parts.values() for e in m.values()}
    named |= {e for m in (*rules.main_by_topic.values(), *rules.targets_by_topic.values()) for e in m.values()}
    return [f"context.yaml: unknown entry {e!r}" for e in sorted(named) if e not in kb.entries]
