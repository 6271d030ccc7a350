"""Every process follows the published knowledge: two `laodong serve` processes on one PostgreSQL
database; a version published elsewhere (as `laodong kb import` does) is answered by both within
5 s, a rollback likewise; and a service follows the version poll on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from bot.kbfollow import KnowledgeFollower
from bot.kbstore import ensure_published, publish, rollback
from bot.service import BotService
from bot.store.store import Store
from scripts.bench_publish import ORIGINAL, QUESTION, ask, changed, serve_env, start_serve, stop
from tests.pg import temporary_database
from tests.serving import free_port, wait_healthy

FOLLOW_SECONDS = 5.0


async def answered_within(
    http: aiohttp.ClientSession, url: str, marker: str, seconds: float, shown: bool = True
) -> None:
    """Ask again (bounded steps) until the answer shows (or no longer shows) `marker`."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while loop.time() - started < seconds:
        answer = await ask(http, url, QUESTION)
        if ORIGINAL in answer and (marker in answer) == shown:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not answer {'with' if shown else 'without'} {marker!r} within {seconds} s")


@pytest.mark.postgres
async def test_two_serve_processes_answer_a_new_version_and_a_rollback_within_5_s(tmp_path: Path) -> None:
    async with temporary_database() as db_url:
        store = Store(db_url)
        await store.migrate()
        seed, files = await ensure_published(store)
        ports = [free_port(), free_port()]
        procs = [start_serve(p, serve_env(db_url, tmp_path / f"var{i}")) for i, p in enumerate(ports)]
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        try:
            async with aiohttp.ClientSession() as http:
                for url, proc in zip(urls, procs, strict=True):
                    await wait_healthy(http, url, proc)
                    assert ORIGINAL in await ask(http, url, QUESTION)
                new_text = changed(files, 1)
                edited = await publish(store, new_text, "chi.lan", "edit", "câu rõ hơn", on_version=seed.id)
                marker = "(lần sửa thứ mới)"
                assert marker in new_text["entries/lao-cai/work_abroad.yaml"]
                for url in urls:
                    await answered_within(http, url, marker, FOLLOW_SECONDS)
                await rollback(store, seed.id, "chi.lan", "nhầm")
                for url in urls:
                    await answered_within(http, url, marker, FOLLOW_SECONDS, shown=False)
                assert edited.id == seed.id + 1
        finally:
            for proc in procs:
                stop(proc)
            await store.close()


async def test_a_service_follows_the_version_poll_on_sqlite(service: BotService) -> None:
    seed, files = await ensure_published(service.store)
    follower = KnowledgeFollower(service, poll_seconds=0.05)
    await follower.start()
    try:
        assert service.knowledge_version == seed.id
        new = await publish(service.store, changed(files, 1), "chi.lan", "edit")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 30
        while service.knowledge_version != new.id and loop.time() < deadline:
            await asyncio.sleep(0.05)
        assert service.knowledge_version == new.id
        assert "(lần sửa thứ mới)" in service.kb.entries["lc_muc_tieu_xkld"].answer
    finally:
        await follower.stop()
