"""The dashboard under test: the real aiohttp app with a service on a temporary database,
a fake clock, officials of each role, and helpers to sign in and send forms."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from argon2 import PasswordHasher
from sqlalchemy import update

from actions.respond import Responder
from actions.types import Policy
from bot.admin import accounts as accounts_module
from bot.admin.accounts import Accounts
from bot.appkeys import ADMIN, DELIVERERS
from bot.delivery import Delivery
from bot.service import BotService
from bot.settings import Settings
from bot.store.models import Inquiry
from bot.store.store import Store, TurnRecord
from bot.web.app import create_app
from knowledge.model import KNOWLEDGE_DIR, KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.conftest import TEST_KEY

PASSWORD = "mat-khau-du-dai-123"
ROLES = ("viewer", "editor", "approver", "admin")
_CSRF = re.compile(r'name="_csrf" value="([0-9a-f]+)"')


class FakeClock:
    """Time that moves only when a test moves it."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self.now = start or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@dataclass
class FakeDeliverer:
    """Records what it was asked to send; answers `ok`."""

    ok: bool = True
    sent: list[Delivery] = field(default_factory=list)

    async def deliver(self, delivery: Delivery) -> bool:
        self.sent.append(delivery)
        return self.ok


def csrf_of(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF field on the page"
    return found.group(1)


def turn(user: str = "u1", **kw: Any) -> TurnRecord:
    """A stored turn with sensible defaults (an answered question on Telegram)."""
    fields: dict[str, Any] = {
        "user_id": user,
        "channel": "telegram",
        "state": {},
        "province": "lao-cai",
        "message_kind": "text",
        "text": "di xkld nhat can gi",
        "normalized": "di xuat khau lao dong nhat can gi",
        "outcome": "answer",
        "topic": "work_abroad",
        "intent": "faq/vn_di_lam_viec_nuoc_ngoai_hop_phap",
        "entry_id": "vn_di_lam_viec_nuoc_ngoai_hop_phap",
        "confidence": 0.9,
        "answered": True,
        "engine": "embedded",
        "reply_text": "Trả lời …",
    }
    fields.update(kw)
    return TurnRecord(**fields)


async def set_created_at(store: Store, inquiry_id: int, when: dt.datetime) -> None:
    async with store.sessions.begin() as session:
        await session.execute(update(Inquiry).where(Inquiry.id == inquiry_id).values(created_at=when))


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2id with test-sized costs (the real defaults take a third of a second a hash here)."""
    fast = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(accounts_module, "_hasher", lambda: fast)


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    """A copy of knowledge/ that tests may change (the repository's files stay as they are)."""
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def admin_service(kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, knowledge_copy: Path) -> BotService:
    """The bot service, reading (and reloading) the temporary knowledge copy."""
    return BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY, knowledge_dir=knowledge_copy)


@pytest.fixture
def deliverer() -> FakeDeliverer:
    return FakeDeliverer()


@dataclass
class AdminSite:
    """A test client for the app, and ways to act as an official."""

    client: TestClient
    service: BotService
    clock: FakeClock
    deliverer: FakeDeliverer

    @property
    def store(self) -> Store:
        return self.service.store

    async def login(self, username: str, password: str = PASSWORD) -> Any:
        page = await self.client.get("/admin/login")
        csrf = csrf_of(await page.text())
        data = {"_csrf": csrf, "username": username, "password": password, "next": "/admin/"}
        return await self.client.post("/admin/login", data=data, allow_redirects=False)

    async def csrf(self, path: str = "/admin/") -> str:
        page = await self.client.get(path)
        return csrf_of(await page.text())

    async def post(self, path: str, data: dict[str, str], csrf_from: str = "/admin/") -> Any:
        token = await self.csrf(csrf_from)
        return await self.client.post(path, data={"_csrf": token, **data}, allow_redirects=False)

    async def logout(self) -> Any:
        return await self.post("/admin/logout", {})


@pytest.fixture
async def dashboard(
    aiohttp_client: Any, admin_service: BotService, tmp_path: Path, clock: FakeClock, deliverer: FakeDeliverer
) -> AsyncIterator[AdminSite]:
    settings = Settings(database_url=admin_service.store.url, data_dir=tmp_path / "var", secret_key="test-secret")
    app = create_app(settings, service=admin_service)
    app[ADMIN].clock = clock
    app[DELIVERERS].register("telegram", deliverer)
    accounts = Accounts(admin_service.store, clock)
    for role in ROLES:
        await accounts.create_user(role, PASSWORD, role)
    client = await aiohttp_client(app)
    yield AdminSite(client, admin_service, clock, deliverer)
