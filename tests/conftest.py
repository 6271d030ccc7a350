"""Shared fixtures: one knowledge base and one trained engine per test session."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.service import BotService
from bot.store.store import Store
from knowledge.model import KnowledgeBase, load_knowledge
from nlu.engine import EmbeddedEngine
from tests.cli import run
from tests.pg import temporary_database
from tests.redisdb import RedisNamespace, redis_namespace

TEST_KEY = b"test-hash-key"


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge()


@pytest.fixture(scope="session")
def engine(kb: KnowledgeBase) -> EmbeddedEngine:
    return EmbeddedEngine.train(kb)


@pytest.fixture(scope="session")
def trained_models(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir's models/, trained once by `laodong ask` (the embedded NLU and the situation
    detector), for in-process command tests to link into their own data dirs (tests/cli.py)."""
    data = tmp_path_factory.mktemp("trained")
    done = run({"LAODONG_DATA_DIR": str(data), "LAODONG_DATABASE_URL": f"sqlite:///{data / 'x.db'}"}, "ask", "xkld")
    assert done.returncode == 0, done.stderr
    return data / "models"


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'laodong.db'}"


@pytest.fixture
async def store(db_url: str) -> AsyncIterator[Store]:
    s = Store(db_url)
    await s.migrate()
    yield s
    await s.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated store on SQLite and, in a second run, on a fresh database of the real PostgreSQL."""
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'db' / 'laodong.db'}")
        await s.migrate()
        yield s
        await s.close()
        return
    async with temporary_database() as url:
        s = Store(url)
        await s.migrate()
        yield s
        await s.close()


@pytest.fixture
async def service(kb: KnowledgeBase, engine: EmbeddedEngine, store: Store) -> BotService:
    return BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY)


@pytest.fixture
async def redis_ns() -> AsyncIterator[RedisNamespace]:
    """A key prefix of its own on the real Redis (127.0.0.1:6379), cleaned up afterwards."""
    async with redis_namespace() as namespace:
        yield namespace
