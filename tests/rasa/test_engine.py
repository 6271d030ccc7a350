"""The bot with LAODONG_NLU=rasa against a fake Rasa server on loopback: answers, timeouts, refusals."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.building import build_service, engine_factory
from bot.service import BotService, IncomingMessage
from bot.settings import Settings
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from nlu.rasa_build import RasaLayout
from nlu.rasa_client import FallbackEngine, RasaEngine
from nlu.rasa_parse import understanding_from_parse
from nlu.types import NluEngine
from tests.conftest import TEST_KEY
from tests.fakes.rasa import FakeRasa, parse_result
from tests.rasa.support import closed_port, require_rasa

TOKEN = "rasa-test-token"
QUESTION = "bao hiem that nghiep"
ENTRY = "kg_bao_hiem_that_nghiep"


@pytest.fixture
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    fake = FakeRasa(TOKEN)
    await fake.start()
    fake.answers[QUESTION] = ("faq", ENTRY)
    fake.answers["xin chào"] = ("greet", None)
    yield fake
    await fake.close()


def rasa_service(kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, url: str, timeout: float) -> BotService:
    rasa = FallbackEngine(RasaEngine(kb, url, TOKEN), engine, timeout)
    return BotService(kb, rasa, Responder(kb, Policy.load()), store, TEST_KEY)


def test_rasa_parse_becomes_topics_and_entries_like_the_embedded_engine(kb: KnowledgeBase) -> None:
    und = understanding_from_parse(parse_result(QUESTION, "faq", ENTRY, confidence=0.8), kb)
    assert und.engine == "rasa"
    assert und.topic == "employment"
    assert und.intent == f"faq/{ENTRY}"
    best = und.best
    assert best is not None and best.entry == ENTRY
    assert best.score == pytest.approx(0.8 * 0.95)
    assert und.topic_confidence == pytest.approx(0.8 * 0.95)  # the unknown entry in the ranking is dropped
    assert [c.label for c in und.ranking][1:] == ["greet", "out_of_scope", "thanks"]
    greet = understanding_from_parse(parse_result("chào", "greet"), kb)
    assert (greet.topic, greet.intent) == ("chitchat", "greet")
    assert understanding_from_parse({"text": "x"}, kb).topic == "out_of_scope"


async def test_bot_answers_through_rasa_and_records_the_engine(
    kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, fake_rasa: FakeRasa
) -> None:
    service = rasa_service(kb, engine, store, fake_rasa.url, timeout=5)
    handled = await service.handle(IncomingMessage(channel="web", user_ref="u", text=QUESTION))
    assert handled.engine == "rasa"
    assert handled.outcome.entry == ENTRY
    assert "📄 Theo" in handled.outcome.reply.text
    assert fake_rasa.calls == [{"token": TOKEN, "text": QUESTION}]
    [record] = await store.inquiries()
    assert record.engine == "rasa"
    await service.close()


@pytest.mark.parametrize("mode", ["hang", "error", "wrong_token", "refused"])
async def test_embedded_engine_answers_when_rasa_is_slow_down_or_refuses(
    kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, fake_rasa: FakeRasa, mode: str
) -> None:
    url = fake_rasa.url
    if mode == "refused":
        url = f"http://127.0.0.1:{closed_port()}"
    elif mode == "wrong_token":
        fake_rasa.token = "another-token"
    else:
        fake_rasa.mode = mode
    service = rasa_service(kb, engine, store, url, timeout=0.3)
    handled = await service.handle(IncomingMessage(channel="web", user_ref="u", text=QUESTION))
    assert handled.engine == "embedded"
    assert handled.outcome.entry == ENTRY  # the worker still gets the answer
    [record] = await store.inquiries()
    assert record.engine == "embedded"
    await service.close()


async def test_build_service_uses_rasa_with_the_embedded_engine_behind_it(tmp_path: Path, fake_rasa: FakeRasa) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'rasa.db'}",
        data_dir=tmp_path,
        nlu="rasa",
        rasa_url=fake_rasa.url,
        rasa_token=TOKEN,
        rasa_timeout=5,
    )
    service = await build_service(settings)
    try:
        assert isinstance(service.engine, FallbackEngine)
        assert service.engine.name == "rasa"
        handled = await service.handle(IncomingMessage(channel="cli", user_ref="u", text=QUESTION))
        assert (handled.engine, handled.outcome.entry) == ("rasa", ENTRY)
        await service.reload()  # a knowledge reload keeps Rasa in front
        assert isinstance(service.engine, FallbackEngine)
        handled = await service.handle(IncomingMessage(channel="cli", user_ref="u", text="xin chào"))
        assert (handled.engine, handled.outcome.topic) == ("rasa", "chitchat")
    finally:
        await service.close()


def test_rasa_needs_its_url(tmp_path: Path, kb: KnowledgeBase) -> None:
    with pytest.raises(ValueError, match="LAODONG_RASA_URL"):
        engine_factory(Settings(nlu="rasa", rasa_url=None, data_dir=tmp_path))
    embedded: NluEngine = engine_factory(Settings(nlu="embedded", data_dir=tmp_path))(kb)
    assert isinstance(embedded, EmbeddedEngine)


@pytest.mark.parametrize(("ci", "outcome"), [("", pytest.skip.Exception), ("true", pytest.fail.Exception)])
def test_without_the_rasa_venv_the_integration_test_skips_only_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ci: str, outcome: type[BaseException]
) -> None:
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="make rasa"):
        require_rasa(RasaLayout(venv=tmp_path / "no-venv"))
