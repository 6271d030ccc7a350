"""Nothing lost when things die: a PostgreSQL server stopped mid-run, a bot process killed mid-run.

The first test starts a PostgreSQL cluster of its own (initdb + pg_ctl from the machine's
PostgreSQL, as the postgres user when run as root), so it can stop the server the way a crash
would (`pg_ctl stop -m immediate`) while a real `laodong serve` takes Telegram updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.store.models import Inquiry
from bot.store.store import Store
from tests.fakes.telegram import TOKEN, FakeTelegram, text_update
from tests.pg import temporary_database
from tests.serving import free_port, wait_healthy

ROOT = Path(__file__).resolve().parents[1]
SECRET = "crash-secret-0123456789"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
pytestmark = pytest.mark.postgres


class Cluster:
    """A PostgreSQL server of the test's own, in a temporary folder, on a free loopback port."""

    def __init__(self, bindir: Path, folder: Path) -> None:
        self.bindir = bindir
        self.folder = folder
        self.data = folder / "data"
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *args: str) -> None:
        cmd = [*self._as_postgres, str(self.bindir / args[0]), *args[1:]]
        subprocess.run(cmd, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "log"), "-w", "start")

    def crash(self) -> None:
        """Stop at once, as a crash would: no checkpoint, clients cut off mid-connection."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")


def postgres_bindir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    bindir = postgres_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            raise AssertionError("CI: PostgreSQL's initdb and pg_ctl are needed for this test")
        pytest.skip("no PostgreSQL server binaries (initdb) on this machine")
    folder = Path(tempfile.mkdtemp(prefix="laodong-pg-", dir="/tmp"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(bindir, folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            cluster.crash()
        shutil.rmtree(folder, ignore_errors=True)


@asynccontextmanager
async def serve(
    db_url: str, data_dir: Path, fake: FakeTelegram, **settings: str
) -> AsyncIterator[tuple[str, subprocess.Popen[bytes]]]:
    """`laodong serve` with Telegram on (more LAODONG_* settings by keyword), once /healthz answers (bounded: 60 s)."""
    port = free_port()
    env = {
        **os.environ,
        "LAODONG_DATABASE_URL": db_url,
        "LAODONG_DATA_DIR": str(data_dir),
        "LAODONG_HASH_KEY": "crash-key",
        "LAODONG_TELEGRAM_TOKEN": TOKEN,
        "LAODONG_TELEGRAM_SECRET": SECRET,
        "LAODONG_TELEGRAM_API_URL": fake.url,
        "LAODONG_TELEGRAM_RATE_OVERALL": "10000",
        "LAODONG_TELEGRAM_RATE_PER_CHAT": "1000",
        **{f"LAODONG_{name.upper()}": value for name, value in settings.items()},
    }
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession() as http:
            await wait_healthy(http, url, proc)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)


def chat_of(update_id: int) -> int:
    return 900_000 + update_id


async def post(http: aiohttp.ClientSession, url: str, update_id: int) -> int:
    """Deliver one update as Telegram does; the HTTP status (0: the connection broke)."""
    update = text_update(update_id, chat_of(update_id), "đi xuất khẩu lao động Nhật cần gì")
    try:
        async with http.post(url + "/telegram/webhook", json=update, headers=HEADERS) as res:
            return res.status
    except aiohttp.ClientError:
        return 0


async def recorded(db_url: str) -> tuple[int, int]:
    """(inquiries, distinct update ids) of the Telegram channel."""
    store = Store(db_url)
    try:
        async with store.engine.connect() as conn:
            telegram = Inquiry.channel == "telegram"
            total = await conn.scalar(select(func.count()).where(telegram))
            distinct = await conn.scalar(select(func.count(Inquiry.external_id.distinct())).where(telegram))
        return int(total or 0), int(distinct or 0)
    finally:
        await store.close()


async def replies(fake: FakeTelegram, count: int) -> int:
    """Wait (bounded: 30 s, 0.05 s steps) until `count` replies went out; how many did."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while len(fake.sent) < count and loop.time() < deadline:
        await asyncio.sleep(0.05)
    return len(fake.sent)


async def test_a_postgresql_server_stopped_mid_run_loses_nothing(tmp_path: Path) -> None:
    fake = FakeTelegram()
    await fake.start()
    try:
        with own_cluster() as cluster:
            async with serve(cluster.url, tmp_path / "var", fake) as (url, _), aiohttp.ClientSession() as http:
                statuses = [await post(http, url, i) for i in range(1, 31)]
                cluster.crash()  # the database server dies under the bot
                statuses += [await post(http, url, i) for i in range(31, 61)]
                assert list((tmp_path / "var" / "journal").glob("journal-*.jsonl"))  # kept on local disk meanwhile
                cluster.start()  # … and comes back
                statuses += [await post(http, url, i) for i in range(61, 91)]
                assert statuses == [200] * 90  # every update acknowledged: recorded in the database or the journal
                assert await replies(fake, 90) == 90  # every worker answered, database or not
            # The journal went back into the database once it answered: each update once.
            assert await recorded(cluster.url) == (90, 90)
            assert not [p for p in (tmp_path / "var" / "journal").glob("*.jsonl") if p.read_text().strip()]
    finally:
        await fake.close()


async def test_a_bot_killed_mid_run_loses_no_update(tmp_path: Path) -> None:
    """Telegram delivers an update again until it gets a 200; a 200 means the record is durable."""
    fake = FakeTelegram()
    await fake.start()
    total = 120
    try:
        async with temporary_database() as db_url:
            acked: set[int] = set()
            async with serve(db_url, tmp_path / "var", fake) as (url, proc), aiohttp.ClientSession() as http:
                queue: asyncio.Queue[int] = asyncio.Queue()
                for update_id in range(1, total + 1):
                    queue.put_nowait(update_id)

                async def deliver() -> None:
                    while not queue.empty():
                        update_id = queue.get_nowait()
                        if await post(http, url, update_id) == 200:
                            acked.add(update_id)

                senders = [asyncio.create_task(deliver()) for _ in range(8)]
                while len(acked) < 40:  # mid-run: updates in flight on 8 connections
                    await asyncio.sleep(0.01)
                proc.send_signal(signal.SIGKILL)  # the bot dies at once, whatever it was doing
                await asyncio.gather(*senders)
            assert 40 <= len(acked) < total
            # A new process; Telegram delivers again every update without a 200, and a few with.
            async with serve(db_url, tmp_path / "var", fake) as (url, _), aiohttp.ClientSession() as http:
                again = [i for i in range(1, total + 1) if i not in acked] + sorted(acked)[:10]
                assert [await post(http, url, i) for i in again] == [200] * len(again)
            assert await recorded(db_url) == (total, total)  # every update once: none lost, none twice
    finally:
        await fake.close()


async def test_replies_acknowledged_before_a_kill_are_sent_after_the_restart(tmp_path: Path) -> None:
    """A 200 means the reply is durable too: SIGKILL with sends pending, restart, every worker answered."""
    fake = FakeTelegram()
    await fake.start()
    total = 40
    outbox = {"outbox_lease_seconds": "1", "outbox_poll_seconds": "0.2"}
    try:
        async with temporary_database() as db_url:
            slow = {"telegram_rate_overall": "4", **outbox}  # sends fall behind the acknowledgements
            async with serve(db_url, tmp_path / "var", fake, **slow) as (url, proc), aiohttp.ClientSession() as http:
                assert await asyncio.gather(*(post(http, url, i) for i in range(1, total + 1))) == [200] * total
                proc.send_signal(signal.SIGKILL)  # replies acknowledged, most not yet sent
                proc.wait(timeout=30)
            before = len(fake.sent)
            assert before < total - 10
            async with serve(db_url, tmp_path / "var", fake, **outbox):
                loop = asyncio.get_running_loop()
                deadline = loop.time() + 30  # bounded wait for the restarted process's pump
                while {int(m["chat_id"]) for m in fake.sent} != {chat_of(i) for i in range(1, total + 1)}:
                    assert loop.time() < deadline, f"{len(fake.sent)} replies of {total}"
                    await asyncio.sleep(0.05)
                store = Store(db_url)
                try:
                    while await store.outbox_size():  # the last statuses being written
                        assert loop.time() < deadline
                        await asyncio.sleep(0.05)
                finally:
                    await store.close()
            per_chat = Counter(int(m["chat_id"]) for m in fake.sent)
            assert sum(n - 1 for n in per_chat.values()) <= 2  # at most the replies in flight at the kill, twice
    finally:
        await fake.close()
