"""Start-up does only what it must: a stored model, no Alembic at head, no libraries serving does not use."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.building import build_service
from bot.settings import Settings
from bot.store import database as store_module
from bot.store.store import MIGRATIONS_DIR, Store, script_heads
from knowledge.model import KNOWLEDGE_DIR, KnowledgeBase
from knowledge.yamlfile import SAFE_LOADER, read_yaml
from nlu import artefact
from nlu.engine import EmbeddedEngine, EngineConfig, model_path, training_key
from tests.cli import link_models, run


def test_the_heads_read_from_the_scripts_are_alembics() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert script_heads() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_a_script_that_is_not_plain_makes_alembic_decide(tmp_path: Path) -> None:
    (tmp_path / "0001_x.py").write_text('revision = "0001"\ndown_revision = None\n')
    (tmp_path / "0002_y.py").write_text('revision: str = "0002"\ndown_revision: str | None = "0001"\n')
    assert script_heads(tmp_path) == {"0002"}
    (tmp_path / "0003_z.py").write_text("revision = make_id()\n")
    assert script_heads(tmp_path) == frozenset()
    (tmp_path / "0003_z.py").write_text('revision = "0003"\ndown_revision = (\n    "0002",\n)\n')
    assert script_heads(tmp_path) == frozenset()  # a value over several lines
    (tmp_path / "0003_z.py").write_text('"""\nrevision = "0001"\n"""\nrevision = "0003"\ndown_revision = "0002"\n')
    assert script_heads(tmp_path) == frozenset()  # a name twice (here in a docstring): Alembic reads it right
    (tmp_path / "0003_z.py").write_text('revision = "0003"\ndown_revision = "0002"\n')
    assert script_heads(tmp_path) == {"0003"}


@pytest.mark.parametrize("revision", [None, "0003"])
def test_ask_brings_a_new_or_old_database_to_the_latest_schema(
    revision: str | None, trained_models: Path, tmp_path: Path
) -> None:
    """`laodong ask` on a database never migrated, or left at an old revision, upgrades it and records the question."""
    url = f"sqlite:///{tmp_path / 'laodong.db'}"
    if revision is not None:
        asyncio.run(_migrate_to(url, revision))
    link_models(trained_models, tmp_path / "data")
    done = run({"LAODONG_DATABASE_URL": url, "LAODONG_DATA_DIR": str(tmp_path / "data")}, "ask", "xkld nhat can gi")
    assert done.returncode == 0 and done.stdout.strip()
    assert asyncio.run(_version_and_inquiries(url)) == (script_heads(), 1)


def test_an_ask_process_leaves_its_answer_and_record_behind(trained_models: Path, tmp_path: Path) -> None:
    """`laodong ask` as a process (which skips the interpreter's teardown) prints every answer, piped,
    and stores every inquiry; a refused command still says why, with its exit code."""
    url = f"sqlite:///{tmp_path / 'laodong.db'}"
    link_models(trained_models, tmp_path / "data")
    env = {**os.environ, "LAODONG_DATA_DIR": str(tmp_path / "data"), "LAODONG_DATABASE_URL": url}
    ask = [sys.executable, "-m", "bot.cli", "ask", "--json"]
    done = subprocess.run(ask, input="xkld nhat\nhoc nghe o dau\n", env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["topic"] for line in done.stdout.splitlines()] == ["work_abroad", "vocational"]
    assert asyncio.run(_version_and_inquiries(url)) == (script_heads(), 2)
    refused = subprocess.run([*ask, "--province", "hanoi", "x"], env=env, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1 and "unknown province 'hanoi'" in refused.stderr


async def _migrate_to(url: str, revision: str) -> None:
    store = Store(url)
    try:
        await store.migrate()
        await store.downgrade(revision)
        assert await _version(store) == {revision}
    finally:
        await store.close()


async def _version(store: Store) -> frozenset[str]:
    async with store.engine.connect() as conn:
        return frozenset((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())


async def _version_and_inquiries(url: str) -> tuple[frozenset[str], int]:
    store = Store(url)
    try:
        return await _version(store), await store.count_inquiries()
    finally:
        await store.close()


async def test_a_database_at_head_is_not_migrated_again(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, str]] = []
    real = store_module._run_alembic
    monkeypatch.setattr(store_module, "_run_alembic", lambda conn, action, rev: calls.append((action, rev)))
    await store.migrate()
    assert calls == []
    monkeypatch.setattr(store_module, "_run_alembic", real)
    await store.downgrade("0003")
    monkeypatch.setattr(store_module, "_run_alembic", lambda conn, action, rev: calls.append((action, rev)))
    await store.migrate()
    assert calls == [("upgrade", "head")]  # behind: Alembic runs


SERVING = """
import asyncio, sys
from aiohttp.test_utils import TestClient, TestServer
from bot.cli import main
from bot.settings import Settings
from bot.web.app import create_app

async def web_chat(question):
    async with TestClient(TestServer(create_app(Settings()))) as client:
        res = await client.post("/api/chat", json={"text": question})
        assert res.status == 200, res.status
        print("WEB", (await res.json())["reply"]["text"][:40])

main(["ask", "--json", sys.argv[1]])
asyncio.run(web_chat(sys.argv[1]))
print("LOADED", sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2].split(","))))
"""
# python-telegram-bot too (this server has no Telegram token), the fuzzy matcher (no company named,
# no list loaded) and the delivery addresses' cipher (no Telegram or Zalo worker).
NOT_FOR_SERVING = ("sklearn", "scipy", "numpy", "alembic", "openpyxl", "qrcode", "PIL", "redis", "telegram")
NOT_FOR_SERVING += ("rapidfuzz", "cryptography")


async def test_serving_imports_only_what_it_needs(engine: EmbeddedEngine, kb: KnowledgeBase, tmp_path: Path) -> None:
    """`ask` and the web app answer from the stored model: no scikit-learn, no Alembic at head, no report libraries."""
    key = training_key(kb, EngineConfig.load())
    artefact.save(engine.model, model_path(tmp_path / "data" / "models", key), key)
    url = f"sqlite:///{tmp_path / 'laodong.db'}"
    store = Store(url)
    await store.migrate()
    await store.close()
    env = {**os.environ, "LAODONG_DATA_DIR": str(tmp_path / "data"), "LAODONG_DATABASE_URL": url}
    question = "đi xuất khẩu lao động nhật cần gì"
    done = subprocess.run(
        [sys.executable, "-c", SERVING, question, ",".join(NOT_FOR_SERVING)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert '"entry": ' in lines[0] and '"sources": [{' in lines[0]
    assert lines[1].startswith("WEB ") and len(lines[1]) > 10
    assert lines[-1] == "LOADED []"


def test_training_runs_in_a_process_of_its_own(tmp_path: Path) -> None:
    """With no stored models, `nlu train` (as start-up and reload do) trains the engine and the situation
    detector in children: scikit-learn stays out."""
    code = "import sys\nfrom bot.cli import main\nmain(['nlu', 'train'])\nprint('LOADED', 'sklearn' in sys.modules)"
    env = {**os.environ, "LAODONG_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300, check=True
    )
    assert done.stdout.startswith("embedded model trained in "), done.stdout
    assert done.stdout.strip().splitlines()[-1] == "LOADED False"
    stored = sorted(p.name for p in (tmp_path / "models").iterdir() if p.name != ".training.lock")  # job files gone
    assert [name.split("-")[0] for name in stored] == ["embedded", "situations"]
    assert all(name.endswith(".model") for name in stored)


async def test_a_knowledge_change_retrains_on_reload(engine: EmbeddedEngine, kb: KnowledgeBase, tmp_path: Path) -> None:
    """build_service loads the stored model; after knowledge/ changes, reload() trains and stores the new one."""
    data = tmp_path / "data"
    key = training_key(kb, EngineConfig.load())
    artefact.save(engine.model, model_path(data / "models", key), key)
    settings = Settings(data_dir=data, database_url=f"sqlite:///{tmp_path / 'laodong.db'}")
    service = await build_service(settings)
    try:
        assert isinstance(service.engine, EmbeddedEngine) and not service.engine.trained_now
        changed = tmp_path / "knowledge"
        shutil.copytree(KNOWLEDGE_DIR, changed, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
        entries = sorted((changed / "entries").glob("*/*.yaml"))[0]
        entries.write_text(
            entries.read_text(encoding="utf-8").replace("examples:", "examples:\n      - cau hoi moi them vao", 1)
        )
        service.knowledge_dir = changed
        await service.reload()
        assert isinstance(service.engine, EmbeddedEngine) and service.engine.trained_now
        new_key = training_key(service.kb, EngineConfig.load())
        assert new_key != key
        stored = sorted(p.name for p in (data / "models").iterdir() if p.name != ".training.lock")
        assert [n for n in stored if n.startswith("embedded-")] == [model_path(data / "models", new_key).name]
        assert len([n for n in stored if n.startswith("situations-")]) == 1  # the detector's, old one removed
    finally:
        await service.close()


REPO = Path(__file__).resolve().parents[1]


def test_the_fast_yaml_loader_reads_every_data_file_as_the_plain_one_does() -> None:
    """Start-up reads rules and data with libyaml's loader: the same data as PyYAML's pure-Python one."""
    assert SAFE_LOADER is yaml.CSafeLoader  # the wheel carries libyaml: without it start-up is ~0.1 s slower
    files = [p for d in ("actions", "bot", "knowledge", "nlu", "tests/data") for p in (REPO / d).rglob("*.y*ml")]
    assert len(files) > 40
    for path in files:
        assert read_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8")), path
