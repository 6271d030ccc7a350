"""Publish-to-every-process latency: how long after a knowledge version is published every
`laodong serve` worker serves it (PostgreSQL NOTIFY, version poll as fallback).

Starts `laodong serve --workers N` on a fresh PostgreSQL database (loopback), publishes a
version with one answer changed (as `laodong kb import` does), then asks /healthz over fresh
connections (the kernel spreads them over the workers) until every worker reports the new
version; prints, per round, the time until the first and the last worker served it.

    .venv/bin/python scripts/bench_publish.py [--workers 2,4] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.kbstore import ensure_published, publish  # noqa: E402
from bot.store.store import Store  # noqa: E402
from scripts.benchdb import postgres_database  # noqa: E402
from tests.serving import free_port  # noqa: E402

ENTRY_FILE = "entries/lao-cai/work_abroad.yaml"
ORIGINAL = "phấn đấu mỗi năm đưa khoảng 200 người"
QUESTION = "lao cai moi nam dua bao nhieu nguoi di xkld"


def serve_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a test or bench `laodong serve`: its database and data folder; the
    models trained already (var/models) are copied in, so start-up loads rather than trains."""
    models = ROOT / "var" / "models"
    if models.is_dir() and not (data_dir / "models").exists():
        shutil.copytree(models, data_dir / "models")
    return {
        **os.environ,
        "LAODONG_DATABASE_URL": db_url,
        "LAODONG_DATA_DIR": str(data_dir),
        "LAODONG_HASH_KEY": "publish-bench-key",
        "LAODONG_KB_POLL_SECONDS": "2",
        **extra,
    }


def start_serve(port: int, env: dict[str, str], workers: int = 1) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def health(http: aiohttp.ClientSession, url: str) -> dict[str, Any] | None:
    try:
        async with http.get(url + "/healthz") as res:
            return dict(await res.json()) if res.status == 200 else None
    except (aiohttp.ClientError, ValueError):
        return None


async def until_workers(url: str, workers: int, version: int | None, seconds: float = 120) -> dict[int, float]:
    """Ask /healthz over fresh connections until `workers` distinct processes answer with
    `version` (None: any); {pid: seconds from now until it was first seen so}."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    seen: dict[int, float] = {}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as http:
        while len(seen) < workers:
            if loop.time() - started > seconds:
                raise TimeoutError(f"{len(seen)} of {workers} workers on version {version} after {seconds:.0f} s")
            found = await health(http, url)
            if found and (version is None or found.get("knowledge_version") == version):
                seen.setdefault(int(found["pid"]), loop.time() - started)
            await asyncio.sleep(0.01)
    return seen


async def ask(http: aiohttp.ClientSession, url: str, question: str, province: str = "lao-cai") -> str:
    """The web chat's answer to a question, as a new worker."""
    async with http.post(url + "/api/chat", json={"text": question, "province": province}) as res:
        res.raise_for_status()
        return str((await res.json())["reply"]["text"])


def changed(files: dict[str, str], n: int) -> dict[str, str]:
    """The files with one answer changed (a mark no figure check minds)."""
    text = files[ENTRY_FILE]
    assert ORIGINAL in text, "the benchmark's entry changed: update ORIGINAL"
    return {**files, ENTRY_FILE: text.replace(ORIGINAL, f"{ORIGINAL} (lần sửa {'thứ ' * n}mới)", 1)}


async def one_setting(workers: int, rounds: int) -> list[float]:
    """The seconds until every worker serves each new version, one figure per round."""
    port = free_port()
    async with postgres_database() as db_url:
        return await _rounds(db_url, port, workers, rounds)


async def _rounds(db_url: str, port: int, workers: int, rounds: int) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_serve(port, serve_env(db_url, Path(tmp)), workers)
        store = Store(db_url)
        url = f"http://127.0.0.1:{port}"
        try:
            await until_workers(url, workers, None)
            _version, files = await ensure_published(store)
            figures = []
            for n in range(1, rounds + 1):
                t0 = time.perf_counter()
                new = await publish(store, changed(files, n), "bench", "edit", f"round {n}")
                published_in = time.perf_counter() - t0
                seen = await until_workers(url, workers, new.id)
                figures.append(published_in + max(seen.values()))
                first = published_in + min(seen.values())
                print(f"  workers={workers} round {n}: first {first:.2f} s, every worker {figures[-1]:.2f} s")
            return figures
        finally:
            stop(proc)
            await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="2,4", help="comma-separated worker counts")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    for workers in (int(w) for w in args.workers.split(",")):
        figures = await one_setting(workers, args.rounds)
        print(
            f"publish → every process, {workers} workers: median {statistics.median(figures):.2f} s, "
            f"max {max(figures):.2f} s over {len(figures)} publications"
        )


if __name__ == "__main__":
    asyncio.run(main())
