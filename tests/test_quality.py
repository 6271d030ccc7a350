"""The engine on held-out questions written as workers type (tests/data/questions/).

The benchmark (`make bench`) reports the same figures with latency and memory; these
tests hold the line so a change to data or code cannot quietly make the bot worse.
"""

from __future__ import annotations

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.evaluate import Report, evaluate, load_questions
from knowledge.model import TOPICS, KnowledgeBase
from nlu.engine import EmbeddedEngine


@pytest.fixture(scope="module")
def report(kb: KnowledgeBase, engine: EmbeddedEngine) -> Report:
    return evaluate(Responder(kb, Policy.load()), engine, load_questions())


def test_labelled_set_is_large_varied_and_valid(kb: KnowledgeBase) -> None:
    questions = load_questions()
    assert len(questions) >= 250
    assert sum(not q.accented for q in questions) >= 100
    assert sum(q.topic == "out_of_scope" for q in questions) >= 30
    for q in questions:
        assert q.topic in TOPICS, q
        assert all(e in kb.entries for e in q.entries), q
    training = {ex.lower() for e in kb.entries.values() for ex in e.examples}
    assert not [q.q for q in questions if q.q.lower() in training], "held-out questions leaked into training"


def test_topic_accuracy(report: Report) -> None:
    assert report.metrics()["topic_accuracy"] >= 0.95


def test_entry_accuracy(report: Report) -> None:
    assert report.metrics()["entry_accuracy"] >= 0.85


def test_out_of_scope_questions_are_not_answered(report: Report) -> None:
    assert report.metrics()["oos_rejection"] >= 0.90


def test_unaccented_questions_fare_as_well_as_accented(report: Report) -> None:
    m = report.metrics()
    assert m["topic_accuracy_unaccented"] >= m["topic_accuracy_accented"] - 0.03


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        ("di xkld nhat can gi", "work_abroad"),
        ("ĐI XKLĐ NHẬT CẦN GÌ", "work_abroad"),
        ("hoc nghe o dau", "vocational"),
        ("bao hiem that nghiep", "employment"),
        ("ho ngheo dc ho tro j", "social_assistance"),
        ("gia vang hom nay", "out_of_scope"),
        ("xin chao", "chitchat"),
        ("cho toi gap can bo", "human"),
    ],
)
def test_everyday_phrasings_land_on_their_topic(engine: EmbeddedEngine, question: str, topic: str) -> None:
    from nlu.normalize import normalize

    assert engine.understand(normalize(question)).topic == topic


def test_confidence_is_a_probability_with_a_runner_up(engine: EmbeddedEngine) -> None:
    from nlu.normalize import normalize

    und = engine.understand(normalize("bao hiem that nghiep"))
    assert und.best is not None and und.runner_up is not None
    assert 0.0 <= und.runner_up.score <= und.best.score <= 1.0
    assert sum(c.score for c in und.ranking) <= 1.0 + 1e-6
