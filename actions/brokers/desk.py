"""The broker replies: a warning, trouble abroad, what the list says of a company, the pick among several.

The desk decides from what signs.py reads and what the lookup (listing.py) finds; the replies
are built through the outcome builder (actions/outcomes.py), which the Responder shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from actions.brokers.listing import Directory, Enterprise, Lookup, look_up
from actions.brokers.rules import BrokerRules
from actions.brokers.signs import read_situation
from actions.outcomes import Outcomes
from actions.situations import SituationDetector
from actions.types import Option, Outcome, Reply, State
from knowledge.model import Entry, KnowledgeBase
from nlu.normalize import Normalized
from nlu.types import Understanding

HANDOFF_WORDS = 12  # a message this long that asks for a person is handed over at once


def _date(value: dt.date | None) -> str:
    return f"{value.day}/{value.month}/{value.year}" if value else "?"


@dataclass(slots=True)
class BrokerDesk:
    """The broker actions: warn about warning signs, answer from the list of licensed enterprises."""

    outcomes: Outcomes  # the outcome builder the Responder shares
    rules: BrokerRules
    detector: SituationDetector | None = None  # the learned detector; None: the cue patterns alone

    @property
    def kb(self) -> KnowledgeBase:
        return self.outcomes.kb

    def check(
        self,
        state: State,
        question: str,
        norm: Normalized,
        und: Understanding | None,
        enterprises: Directory | None,
        detail: bool = False,
    ) -> Outcome | None:
        """The reply when a message shows a warning sign, tells of trouble abroad or asks about a
        company; None otherwise. Trouble abroad comes first, then a warning, then the lookup.
        `detail`: the message asks a detail of the ordinary answer just given; with no sign named,
        only a model nearly sure warns (as on a question about a rule)."""
        signs, warned, urgent = read_situation(self.rules, self.detector, norm)
        if detail and warned and not signs and self.detector is not None:
            warned = self.detector.read(norm).warning >= self.detector.config.rule_question_threshold
        topic = und.topic if und is not None else None
        lookup = look_up(question, norm, enterprises, topic, warned) if enterprises is not None else None
        # Asked for a person: hand over at once, flagged (a long story of trouble abroad the engine reads as
        # "human" — "gọi không ai bắt máy" — is a story: it gets its reply, which offers an official).
        if topic == "human" and (warned or urgent) and self._asks_person(norm):
            outcome = self.outcomes.handoff(state, question, urgent=urgent)
            return self._flag(outcome, warned, lookup)
        if urgent:
            return self._flag(self.trouble_abroad(state, question, norm, lookup), warned, lookup)
        if warned:
            return self.warning(state, question, signs, lookup)
        if lookup is not None:
            return self.enterprise(state, question, lookup)
        return None

    def _asks_person(self, norm: Normalized) -> bool:
        """A short message, or one asking for an official in so many words (a long story told gets its
        reply, which offers one)."""
        return len(norm.folded.split()) <= HANDOFF_WORDS or self.rules.asks_person.fires(norm.folded)

    def _flag(self, outcome: Outcome, warning: bool, lookup: Lookup | None) -> Outcome:
        outcome.warning = warning
        if lookup is not None:
            found = lookup.found
            outcome.enterprise = found.as_json() if found else None
            outcome.enterprise_name = found.name if found else lookup.name
        return outcome

    def _advice_entry(self, state: State) -> Entry:
        entry_id = self.rules.warning_entry_by_province.get(state.province or "", self.rules.warning_entry)
        return self.kb.entries.get(entry_id) or self.kb.entries[self.rules.warning_entry]

    def lookup_text(self, lookup: Lookup) -> str:
        """What the list says about one company, in the worker's words."""
        kb = self.kb
        if not lookup.loaded:
            return str(kb.text("enterprise_no_list").format(name=lookup.name))
        found = lookup.found
        list_date = _date(lookup.list_date)
        if found is not None:
            status = kb.responses["enterprise_status"].get(found.status, found.status)
            text = kb.text("enterprise_listed").format(
                name=found.name,
                licence_no=found.licence_no,
                licence_date=_date(found.licence_date),
                status=status,
                list_date=_date(found.list_date),
            )
            advice = "enterprise_active_advice" if found.status == "active" else "enterprise_inactive_advice"
            return f"{text}\n\n{kb.text(advice)}"
        if lookup.matches:
            names = "\n".join(f"• {e.name}" for e in lookup.matches)
            return f"{kb.text('enterprise_choose').format(name=lookup.name, list_date=list_date)}\n{names}"
        return str(kb.text("enterprise_not_listed").format(name=lookup.name, list_date=list_date))

    def warning(self, state: State, question: str, signs: Sequence[str], lookup: Lookup | None) -> Outcome:
        """Say plainly what is wrong, what the plan says, what to do; offer an official."""
        kb = self.kb
        entry = self._advice_entry(state)
        sign_text = kb.responses["warning_signs"]
        if signs:
            parts = [kb.text("warning_intro") + "\n" + "\n".join(f"• {sign_text[s]}" for s in signs)]
        else:  # the learned detector, not a cue: no sign to name
            parts = [kb.text("warning_intro_general")]
        parts.append(entry.answer.split("\n\n")[0])
        if lookup is not None:
            parts.append(self.lookup_text(lookup))
        parts += [kb.text("warning_steps"), kb.source_line(entry), kb.text("warning_handoff")]
        options = self.outcomes.offer_handoff(state, question)
        options += [
            Option(label=kb.entries[r].title, payload=f"e:{r}") for r in self.rules.warning_related if r in kb.entries
        ]
        reply = Reply(text="\n\n".join(parts), options=options, sources=kb.source_dicts(entry))
        intent = ("warning/" + (",".join(signs) or "detector"))[:96]
        outcome = self.outcomes.build(
            state, reply, "warning", "work_abroad", intent, entry=entry.id, confidence=1.0, answered=True
        )
        return self._flag(outcome, True, lookup)

    def trouble_abroad(self, state: State, question: str, norm: Normalized, lookup: Lookup | None = None) -> Outcome:
        """A worker already abroad in trouble: say it is serious, give the citizen-protection hotline,
        what the plan says where it applies, and offer an official at once (an urgent handoff)."""
        kb = self.kb
        entry = kb.entries[self.rules.urgent_entry]
        entries = [entry]
        plan = kb.entries.get(self.rules.urgent_plan_entry)
        if plan is not None and self.rules.urgent_plan.fires(norm.folded):
            entries.append(plan)
        parts = [kb.text("urgent_intro"), entry.answer.strip()]
        if len(entries) > 1:
            parts.append(plan.answer.split("\n\n")[0].strip() if plan is not None else "")
        if lookup is not None:  # a company named: what the list says of it
            parts.append(self.lookup_text(lookup))
        parts += [kb.source_line(e) for e in entries]
        parts.append(kb.text("urgent_handoff"))
        options = self.outcomes.offer_handoff(state, question, urgent=True)
        sources = [s for e in entries for s in kb.source_dicts(e)]
        reply = Reply(text="\n\n".join(parts), options=options, sources=sources)
        outcome = self.outcomes.build(
            state, reply, "urgent", "work_abroad", "urgent", entry=entry.id, confidence=1.0, answered=True
        )
        outcome.urgent = True
        return outcome

    def enterprise(self, state: State, question: str, lookup: Lookup) -> Outcome:
        """Answer from the list: the enterprise found, not listed, no list — or ask which one."""
        kb = self.kb
        entry = self._advice_entry(state)
        if lookup.loaded and len(lookup.matches) > 1:
            state.pending = {
                "kind": "enterprise",
                "name": lookup.name,
                "question": question,
                "list_date": lookup.list_date.isoformat() if lookup.list_date else None,
                "candidates": [e.snapshot() for e in lookup.matches],
            }
            options = [Option(label=e.name, payload=f"n:{i}") for i, e in enumerate(lookup.matches, start=1)]
            options.append(Option(label=kb.text("enterprise_none_of_these"), payload="n:0"))
            text = kb.text("enterprise_choose").format(name=lookup.name, list_date=_date(lookup.list_date))
            reply = Reply(text=text, options=options)
            outcome = self.outcomes.build(
                state, reply, "enterprise_choose", "work_abroad", "enterprise/choose", confidence=1.0
            )
            return self._flag(outcome, False, lookup)
        kind = "listed" if lookup.found else ("not_listed" if lookup.loaded else "no_list")
        parts = [self.lookup_text(lookup), kb.source_line(entry), kb.text("enterprise_handoff")]
        options = self.outcomes.offer_handoff(state, question)
        options.append(Option(label=entry.title, payload=f"e:{entry.id}"))
        reply = Reply(text="\n\n".join(parts), options=options, sources=kb.source_dicts(entry))
        outcome = self.outcomes.build(
            state,
            reply,
            "enterprise",
            "work_abroad",
            f"enterprise/{kind}",
            entry=entry.id,  # the advice it cites: how to check a company before paying
            confidence=1.0,
            answered=lookup.loaded,
        )
        return self._flag(outcome, False, lookup)

    def pick(self, state: State, value: str, question: str) -> Outcome | None:
        """The worker picked one of the enterprises offered (n:1 …), or none of them (n:0); None when
        no choice among enterprises is pending."""
        pending = state.pending or {}
        candidates = [Enterprise.from_snapshot(c) for c in pending.get("candidates") or ()]
        if pending.get("kind") != "enterprise" or not value.isdigit() or int(value) > len(candidates):
            return None
        list_date = pending.get("list_date")
        when = dt.date.fromisoformat(list_date) if list_date else None
        index = int(value)
        name = str(pending.get("name") or question)
        lookup = Lookup(
            name=candidates[index - 1].name if index else name,
            matches=(candidates[index - 1],) if index else (),
            loaded=True,
            list_date=when,
        )
        return self.enterprise(state, str(pending.get("question") or question), lookup)
