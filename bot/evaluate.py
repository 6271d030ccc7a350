"""Measure the bot on labelled questions: what a worker would get, not what the model scores."""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from actions.respond import Responder
from actions.turns import Turn
from actions.types import Outcome, State
from knowledge.model import ENTRY_TOPICS
from nlu.engine import EmbeddedEngine
from nlu.normalize import fold, normalize
from nlu.types import NluEngine, Understanding

QUESTIONS_DIR = Path(__file__).resolve().parents[1] / "tests" / "data" / "questions"


@dataclass(frozen=True, slots=True)
class Question:
    q: str
    topic: str
    entries: tuple[str, ...]
    province: str | None
    source: str

    @property
    def accented(self) -> bool:
        return fold(self.q) != self.q.lower()


@dataclass(slots=True)
class Result:
    question: Question
    topic: str
    entry: str | None
    kind: str
    confidence: float
    text: str = ""  # the reply the worker sees

    @property
    def topic_ok(self) -> bool:
        return self.topic == self.question.topic

    @property
    def entry_ok(self) -> bool:
        return self.entry in self.question.entries

    @property
    def rejected(self) -> bool:
        # A warning or a trouble-abroad reply answers from its entry (actions/brokers.py).
        return self.kind not in ("answer", "warning", "urgent")


@dataclass(slots=True)
class Report:
    results: list[Result] = field(default_factory=list)

    def _rate(self, items: Sequence[Result], ok: str) -> float:
        return sum(bool(getattr(r, ok)) for r in items) / len(items) if items else float("nan")

    def metrics(self) -> dict[str, Any]:
        res = self.results
        with_entry = [r for r in res if r.question.entries]
        oos = [r for r in res if r.question.topic == "out_of_scope"]
        unanswerable = [r for r in res if r.question.topic in ENTRY_TOPICS and not r.question.entries]
        in_scope = [r for r in res if r.question.entries]
        accented = [r for r in res if r.question.accented]
        plain = [r for r in res if not r.question.accented]
        return {
            "questions": len(res),
            "topic_accuracy": self._rate(res, "topic_ok"),
            "entry_accuracy": self._rate(with_entry, "entry_ok"),
            "oos_rejection": self._rate(oos, "rejected"),
            "unanswerable_rejection": self._rate(unanswerable, "rejected"),
            "in_scope_answered": 1 - self._rate(in_scope, "rejected") if in_scope else float("nan"),
            "topic_accuracy_accented": self._rate(accented, "topic_ok"),
            "topic_accuracy_unaccented": self._rate(plain, "topic_ok"),
            "entry_accuracy_accented": self._rate([r for r in accented if r.question.entries], "entry_ok"),
            "entry_accuracy_unaccented": self._rate([r for r in plain if r.question.entries], "entry_ok"),
            "accented_questions": len(accented),
            "unaccented_questions": len(plain),
        }

    def failures(self) -> list[Result]:
        return [r for r in self.results if not r.topic_ok or (r.question.entries and not r.entry_ok)]


def first_screen(text: str) -> str:
    """What a phone shows first: the reply's first paragraph."""
    return text.split("\n\n", 1)[0]


def answer_lengths(texts: Iterable[str]) -> dict[str, float]:
    """Median words of the first screen and of the whole reply (answer, notes and source line)."""
    replies = [t for t in texts if t.strip()]
    if not replies:
        return {"first_screen_words": float("nan"), "answer_words": float("nan")}
    return {
        "first_screen_words": statistics.median(len(first_screen(t).split()) for t in replies),
        "answer_words": statistics.median(len(t.split()) for t in replies),
    }


def print_figures(figures: dict[str, object], targets: dict[str, str], as_json: bool) -> None:
    """A benchmark's figures: one JSON object, or one aligned line each with its target in brackets."""
    if as_json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        target = f"   [{targets[key]}]" if key in targets else ""
        print(f"{key:<{width}}  {value}{target}")


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (nearest rank) of measured values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def load_questions(directory: Path = QUESTIONS_DIR) -> list[Question]:
    """Every labelled question under tests/data/questions/."""
    return [q for path in sorted(directory.glob("*.yaml")) for q in load_question_file(path)]


def load_question_file(path: Path) -> list[Question]:
    """The labelled questions of one file (tests/data/questions/*.yaml, tests/data/fresh/questions.yaml)."""
    questions = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
        entry = raw.get("entry")
        entries = tuple(entry) if isinstance(entry, list) else ((entry,) if entry else ())
        questions.append(
            Question(
                q=str(raw["q"]),
                topic=str(raw["topic"]),
                entries=entries,
                province=raw.get("province"),
                source=path.name,
            )
        )
    return questions


def outcome_entry(outcome: Outcome) -> str | None:
    """The entry a reply gives, counting a province question as the group's entry for that province."""
    if outcome.entry is not None:
        return outcome.entry
    if outcome.kind == "ask_province" and outcome.intent.startswith("faq/"):
        return outcome.intent[len("faq/") :]
    return None


def judge(responder: Responder, question: Question, understanding: Understanding) -> Result:
    """What a worker asking this question in a new conversation gets, given what the engine understood."""
    norm = normalize(question.q)
    turn = Turn(kind="text", text=question.q, norm=norm)
    outcome = responder.respond(State(province=question.province, greeted=True), turn, understanding)
    entry = outcome_entry(outcome)
    if outcome.kind == "ask_province" and entry is not None and question.entries:
        group = responder.kb.entries[entry].group
        if group and any(
            responder.kb.entries.get(e) and responder.kb.entries[e].group == group for e in question.entries
        ):
            entry = question.entries[0]
    return Result(
        question=question,
        topic=outcome.topic,
        entry=entry,
        kind=outcome.kind,
        confidence=outcome.confidence,
        text=outcome.reply.text,
    )


def evaluate(responder: Responder, engine: EmbeddedEngine, questions: Iterable[Question]) -> Report:
    """Put each question to a new conversation, as a worker would."""
    report = Report()
    for question in questions:
        report.results.append(judge(responder, question, engine.understand(normalize(question.q))))
    return report


async def evaluate_engine(responder: Responder, engine: NluEngine, questions: Iterable[Question]) -> Report:
    """The same, through any engine's `parse` (the Rasa engine answers over HTTP)."""
    report = Report()
    for question in questions:
        report.results.append(judge(responder, question, await engine.parse(question.q)))
    return report
