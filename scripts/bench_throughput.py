"""Throughput side by side: laodong's web chat and Rasa 3.6's REST channel, same questions, same load.

    .venv/bin/python scripts/bench_throughput.py [--messages 600] [--concurrency 20] [--skip-rasa]

laodong: `laodong serve` (embedded engine, SQLite), POST /api/chat, a new worker every
MESSAGES_PER_USER messages. Rasa: `rasa run` on the project's model (`make rasa`) with the action
server, POST /webhooks/rest/webhook, one sender per MESSAGES_PER_USER messages. Both get the
held-out questions (tests/data/questions and every tests/data/fresh*/questions.yaml, in turn) with
`--concurrency` requests in flight, after a warm-up of 20 messages. Reports messages/s, p50/p99
latency and the server's CPU ms per message (laodong: the serve process; Rasa: the Rasa server
plus the action server). The load generator runs on the same cores (a 2-core machine here).

The web chat's per-address flood control is lifted for the run (one address sends everything).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.evaluate import load_questions, percentile  # noqa: E402
from scripts.bench_serve import cpu_s, environment, free_port, stop  # noqa: E402

MESSAGES_PER_USER = 5
WARM_UP = 20

Send = Callable[[aiohttp.ClientSession, int, str], Awaitable[None]]


def held_out_questions(count: int) -> list[str]:
    texts = [q.q for q in load_questions()]
    for path in sorted((ROOT / "tests" / "data").glob("fresh*/questions.yaml")):
        texts += [item["q"] for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []]
    return [texts[i % len(texts)] for i in range(count)]


async def drive(send: Send, questions: list[str], concurrency: int) -> tuple[float, list[float]]:
    """Send every question with `concurrency` in flight; (wall seconds, per-message seconds)."""
    timings: list[float] = []
    queue = list(enumerate(questions))
    queue.reverse()

    async def client(session: aiohttp.ClientSession) -> None:
        while queue:
            i, text = queue.pop()
            if i % MESSAGES_PER_USER == 0:
                session.cookie_jar.clear()  # a new worker
            started = time.perf_counter()
            await send(session, i // MESSAGES_PER_USER, text)
            timings.append(time.perf_counter() - started)

    sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in range(concurrency)]
    try:
        started = time.perf_counter()
        await asyncio.gather(*(client(s) for s in sessions))
        return time.perf_counter() - started, timings
    finally:
        for s in sessions:
            await s.close()


def figures(wall: float, timings: list[float], cpu_seconds: float) -> dict[str, Any]:
    return {
        "messages": len(timings),
        "messages_per_s": round(len(timings) / wall, 1),
        "p50_ms": round(statistics.median(timings) * 1000, 1),
        "p99_ms": round(percentile(timings, 99) * 1000, 1),
        "cpu_ms_per_message": round(cpu_seconds * 1000 / len(timings), 2),
    }


async def bench_laodong(questions: list[str], concurrency: int, profile: Path | None = None) -> dict[str, Any]:

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        models = ROOT / "var" / "models"  # the trained models `make` stored: no training here
        if models.is_dir():
            (data / "models").symlink_to(models)
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        env = environment(ROOT, data) | {"LAODONG_ADDRESS_RATE": "1000000", "LAODONG_ADDRESS_BURST": "1000000"}
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await wait_until(url + "/healthz", proc)

            async def send(session: aiohttp.ClientSession, _user: int, text: str) -> None:
                async with session.post(url + "/api/chat", json={"text": text}) as res:
                    res.raise_for_status()
                    await res.read()

            await drive(send, questions[:WARM_UP], concurrency)
            spy = profiler(proc.pid, profile) if profile else None
            before = cpu_s(proc.pid)
            wall, timings = await drive(send, questions, concurrency)
            result = figures(wall, timings, cpu_s(proc.pid) - before)
            if spy:
                spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
                spy.wait(60)
            return result
        finally:
            stop(proc)


def profiler(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the serve process (collapsed stacks: one line a stack, its sample count)."""
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        raise SystemExit("--profile needs py-spy in the venv: .venv/bin/pip install py-spy")
    return subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "--output", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def wait_until(url: str, proc: Any, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"{url}: the server exited with {proc.returncode}")
            try:
                async with session.get(url) as res:
                    if res.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.05)
    raise RuntimeError(f"{url}: not healthy after {timeout:.0f} s")


async def bench_rasa(questions: list[str], concurrency: int) -> dict[str, Any]:
    from nlu.rasa_build import RasaLayout, ensure_model
    from nlu.rasa_servers import RasaServers, free_port

    layout = RasaLayout()
    ensure_model(layout, force=False, echo=True)
    servers = RasaServers(layout, port=free_port(), actions_port=free_port())
    servers.start_actions()
    servers.start_rasa()
    try:
        url = f"{servers.url}/webhooks/rest/webhook"

        async def send(session: aiohttp.ClientSession, user: int, text: str) -> None:
            async with session.post(url, json={"sender": f"bench-{user}", "message": text}) as res:
                res.raise_for_status()
                if not await res.json():
                    raise RuntimeError(f"Rasa sent no reply to {text!r}")

        pids = [p.pid for p in (servers.rasa, servers.actions) if p is not None]
        await drive(send, questions[:WARM_UP], concurrency)
        before = sum(cpu_s(pid) for pid in pids)
        wall, timings = await drive(send, questions, concurrency)
        return figures(wall, timings, sum(cpu_s(pid) for pid in pids) - before)
    finally:
        servers.stop()


def table(ours: dict[str, Any], rasa: dict[str, Any] | None, concurrency: int) -> str:
    rows = [
        ("messages/s", "messages_per_s"),
        ("latency p50 (ms)", "p50_ms"),
        ("latency p99 (ms)", "p99_ms"),
        ("server CPU ms per message", "cpu_ms_per_message"),
    ]
    what = f"throughput, {ours['messages']} held-out questions, {concurrency} in flight"
    head = f"| {what} | laodong web chat | Rasa REST |"
    lines = [head, "| --- | --- | --- |"]
    for name, key in rows:
        lines.append(f"| {name} | {ours[key]} | {rasa[key] if rasa else '—'} |")
    if rasa:
        lines.append(f"| laodong ÷ Rasa, messages/s | {ours['messages_per_s'] / rasa['messages_per_s']:.1f}× | |")
    return "\n".join(lines)


async def main(messages: int, concurrency: int, skip_rasa: bool, profile: Path | None) -> dict[str, Any]:
    questions = held_out_questions(messages)
    ours = await bench_laodong(questions, concurrency, profile)
    rasa = None if skip_rasa else await bench_rasa(questions, concurrency)
    return {"laodong": ours, "rasa": rasa, "concurrency": concurrency}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--skip-rasa", action="store_true", help="laodong only (no Rasa venv needed)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--profile", type=Path, help="py-spy's collapsed stacks of serve during the run, to this file")
    args = parser.parse_args()
    out = asyncio.run(main(args.messages, args.concurrency, args.skip_rasa, args.profile))
    print(json.dumps(out, ensure_ascii=False) if args.json else table(out["laodong"], out["rasa"], args.concurrency))
