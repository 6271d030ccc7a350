"""`laodong serve --workers N`: several processes on one port answer as one bot."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.store.store import Store
from scripts.bench_webhook import listening_sockets, process_tree
from tests.fakes.telegram import TOKEN, FakeTelegram, text_update
from tests.pg import temporary_database
from tests.serving import free_port

ROOT = Path(__file__).resolve().parents[1]
SECRET = "workers-secret-0123456789"


async def until(condition: object, what: str, seconds: float = 60) -> None:
    """Poll a condition in bounded 0.1 s steps while processes start or replies leave."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while loop.time() < deadline:
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.postgres
async def test_two_workers_share_one_port_and_one_database(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    port = free_port()
    async with temporary_database() as db_url:  # not migrated: the supervisor does it, once
        env = {
            **os.environ,
            "LAODONG_DATABASE_URL": db_url,
            "LAODONG_DATA_DIR": str(tmp_path / "var"),
            "LAODONG_HASH_KEY": "workers-key",
            "LAODONG_TELEGRAM_TOKEN": TOKEN,
            "LAODONG_TELEGRAM_SECRET": SECRET,
            "LAODONG_TELEGRAM_API_URL": fake.url,
        }
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", "2"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await until(lambda: proc.poll() is not None or listening_sockets(port) == 2, "two listening workers")
            assert proc.poll() is None, "laodong serve --workers 2 exited at start-up"
            assert len(process_tree(proc.pid)) == 3  # the supervisor and its two workers

            # Each update on a connection of its own, as from many clients: the kernel spreads them.
            connector = aiohttp.TCPConnector(force_close=True)
            headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
            webhook = f"http://127.0.0.1:{port}/telegram/webhook"
            async with aiohttp.ClientSession(connector=connector) as http:
                for i in range(30):
                    update = text_update(i + 1, 800 + i, "học nghề ở đâu")
                    async with http.post(webhook, json=update, headers=headers) as res:
                        assert res.status == 200
            await until(lambda: len(fake.sent) >= 30, "30 replies")
            assert sorted(int(m["chat_id"]) for m in fake.sent) == list(range(800, 830))

            proc.send_signal(signal.SIGINT)  # a clean stop: the supervisor stops its workers
            assert proc.wait(timeout=60) == 0
            assert listening_sockets(port) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            await fake.close()
        store = Store(db_url)
        try:
            assert await store.count_inquiries() == 30
        finally:
            await store.close()


@pytest.mark.postgres
async def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    async with temporary_database() as db_url:
        env = {
            **os.environ,
            "LAODONG_DATABASE_URL": db_url,
            "LAODONG_DATA_DIR": str(tmp_path / "var"),
            "LAODONG_HASH_KEY": "workers-key",
            "LAODONG_WORKER_STARTUP_GRACE": "0",  # any death counts as one after start-up
        }
        cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", "2"]
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            await until(lambda: listening_sockets(port) == 2, "two listening workers")
            first = set(process_tree(proc.pid)[1:])
            victim = min(first)
            os.kill(victim, signal.SIGKILL)  # a worker crashes hard
            await until(
                lambda: listening_sockets(port) == 2 and len(set(process_tree(proc.pid)[1:]) - first) == 1,
                "a new worker in its place",
            )
            assert victim not in process_tree(proc.pid)
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/healthz") as res:
                assert res.status == 200
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=60) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_polling_with_several_workers_is_refused_plainly(tmp_path: Path) -> None:
    env = {**os.environ, "LAODONG_DATA_DIR": str(tmp_path), "LAODONG_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--workers", "2", "--telegram-polling"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "polling takes one worker" in done.stderr
    assert "Traceback" not in done.stderr
