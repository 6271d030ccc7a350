"""Start-up and memory of a worker process: `serve` time to healthy, RSS over 10,000 web chat messages, one `ask`.

    .venv/bin/python scripts/bench_serve.py [--messages 10000] [--concurrency 20] [--root DIR]

Each figure is measured on real processes started the way a user starts them (`python -m bot.cli`),
with their own temporary data directory and SQLite database:

- serve_healthy_s: from spawn to the first 200 of /healthz (median of --starts, after one start
  that builds the stored model);
- rss_mb after every 1,000 web chat messages (POST /api/chat, --concurrency in flight, users of 5
  messages each), and the slope over the second half (MB per 1,000 messages: flat is ~0);
- ask_s: one `ask "QUESTION"` as a whole process, wall and CPU time (median of --asks).

`--root` runs another checkout's code (e.g. an older commit exported with `git archive`) with this
venv, for before/after figures. Targets (issue 16): healthy ≤ 1.0 s, RSS ≤ 150 MB and flat, ask ≤ 0.7 s.

The code is byte-compiled first (`compileall`), as an installed bot is: pip compiles what it installs
(the Docker image), and a shell without PYTHONDONTWRITEBYTECODE writes the cache on the first run.
`--source` skips that, for the figures of a process that compiles every module it imports.
`--messages 0` measures start-up only. Minima are given beside medians: on a shared machine they
are the figures least disturbed by other work. `--against DIR` times start-up of this code and of
DIR's in turns (same venv, same load), for a before/after that other work on the machine cannot skew:

    git archive --prefix=before/ <commit> | tar -x -C /tmp && make bench-serve ARGS="--against /tmp/before"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.evaluate import load_questions, print_figures  # noqa: E402

QUESTION = "đi xuất khẩu lao động nhật bản cần những gì"
PACKAGES = ("bot", "actions", "nlu", "knowledge")
MESSAGES_PER_USER = 5  # under the per-user burst: flood control does not shape the load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(code: Path, data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAODONG_")}
    env.update(
        PYTHONPATH=str(code),
        LAODONG_DATA_DIR=str(data),
        LAODONG_DATABASE_URL=f"sqlite:///{data / 'laodong.db'}",
        # Every simulated worker comes from 127.0.0.1: the per-address web chat limit would refuse them.
        LAODONG_ADDRESS_RATE="1000000",
        LAODONG_ADDRESS_BURST="1000000",
    )
    return env


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def spawn_serve(code: Path, data: Path) -> tuple[subprocess.Popen[bytes], str, float, float]:
    """Start `serve`; return it, its URL, the seconds until /healthz first answered 200 and its CPU seconds then."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "serve", "--port", str(port)],
        cwd=code,
        env=environment(code, data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as session:
        while time.perf_counter() - started < 120:
            if proc.poll() is not None:
                raise RuntimeError(f"serve exited with {proc.returncode}")
            try:
                async with session.get(url + "/healthz") as res:
                    if res.status == 200:
                        return proc, url, time.perf_counter() - started, cpu_s(proc.pid)
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.005)
    proc.kill()
    raise RuntimeError("serve did not become healthy in 120 s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def time_to_healthy(code: Path, data: Path, starts: int) -> tuple[float, list[float], float]:
    """The first start (which may train and migrate); the wall seconds of the next ones, their median CPU seconds."""
    times, cpus = [], []
    for _ in range(starts + 1):
        proc, _url, seconds, cpu = await spawn_serve(code, data)
        stop(proc)
        times.append(seconds)
        cpus.append(cpu)
    return times[0], times[1:], statistics.median(cpus[1:])


async def memory_under_load(code: Path, data: Path, messages: int, concurrency: int) -> list[tuple[int, float]]:
    """(messages sent, RSS MB) after every 1,000 messages."""
    questions = [q.q for q in load_questions()]
    proc, url, _, _ = await spawn_serve(code, data)
    points = [(0, rss_mb(proc.pid))]
    sent = 0
    lock = asyncio.Lock()

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        while True:
            async with lock:
                if sent >= messages:
                    return
                n, sent = sent, sent + MESSAGES_PER_USER
            session.cookie_jar.clear()  # a new worker every MESSAGES_PER_USER messages
            for i in range(n, min(n + MESSAGES_PER_USER, messages)):
                body = {"text": questions[i % len(questions)]}
                async with session.post(url + "/api/chat", json=body) as res:
                    res.raise_for_status()
                    await res.read()
                if (i + 1) % 1000 == 0:
                    points.append((i + 1, rss_mb(proc.pid)))

    try:
        sessions = [aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) for _ in range(concurrency)]
        try:
            await asyncio.gather(*(client(s) for s in sessions))
        finally:
            for s in sessions:
                await s.close()
    finally:
        stop(proc)
    return sorted(points)


def slope_per_1000(points: list[tuple[int, float]]) -> float:
    """Least-squares MB per 1,000 messages over the second half (after warm-up)."""
    half = [(n, mb) for n, mb in points if n >= points[-1][0] / 2]
    if len(half) < 2:
        return 0.0
    mean_n = statistics.fmean(n for n, _ in half)
    mean_mb = statistics.fmean(mb for _, mb in half)
    cov = sum((n - mean_n) * (mb - mean_mb) for n, mb in half)
    var = sum((n - mean_n) ** 2 for n, _ in half)
    return cov / var * 1000


def ask_once(code: Path, data: Path) -> tuple[float, float]:
    """Wall and CPU seconds of one `ask` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", QUESTION],
        cwd=code,
        env=environment(code, data),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def byte_compile(code: Path) -> None:
    """Write the bytecode cache of the bot's packages, as installing them does."""
    packages = [name for name in PACKAGES if (code / name).is_dir()]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *packages], cwd=code, check=True, stdout=subprocess.DEVNULL
    )


async def main(args: argparse.Namespace) -> dict[str, object]:
    code = Path(args.root).resolve()
    if not args.source:
        byte_compile(code)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        first, healthy, healthy_cpu = await time_to_healthy(code, data, args.starts)
        asks = [ask_once(code, data) for _ in range(args.asks)]
        points = await memory_under_load(code, data, args.messages, args.concurrency) if args.messages else []
    figures: dict[str, object] = {
        "bytecode": "source" if args.source else "compiled",
        "serve_first_start_s": round(first, 3),
        "serve_healthy_s": round(statistics.median(healthy), 3),
        "serve_healthy_min_s": round(min(healthy), 3),
        "serve_cpu_s": round(healthy_cpu, 3),
        "ask_wall_s": round(statistics.median(w for w, _ in asks), 3),
        "ask_wall_min_s": round(min(w for w, _ in asks), 3),
        "ask_cpu_s": round(statistics.median(c for _, c in asks), 3),
    }
    if points:
        figures |= {
            "rss_start_mb": round(points[0][1], 1),
            "rss_after_mb": round(points[-1][1], 1),
            "rss_messages": points[-1][0],
            "rss_slope_mb_per_1000": round(slope_per_1000(points), 2),
            "rss_curve_mb": [round(mb, 1) for _, mb in points],
        }
    figures["load_average"] = f"{load_before:.2f} → {os.getloadavg()[0]:.2f}"  # 1-minute, before → after
    return figures


async def compare(args: argparse.Namespace) -> dict[str, object]:
    """Start-up of two checkouts taken in turns (a serve start, then an ask, of each, --starts times):
    on a machine shared with other work both see the same load, so their difference holds."""
    codes = {"this": Path(args.root).resolve(), "against": Path(args.against).resolve()}
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        datas = {name: Path(tmp) / name for name in codes}
        for name, code in codes.items():
            if not args.source:
                byte_compile(code)
            proc, *_ = await spawn_serve(code, datas[name])  # trains and migrates
            stop(proc)
        load_before = os.getloadavg()[0]
        runs: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in codes}
        for _ in range(args.starts):
            for name, code in codes.items():
                proc, _url, seconds, cpu = await spawn_serve(code, datas[name])
                stop(proc)
                runs[name].append((seconds, cpu, *ask_once(code, datas[name])))
    for name, rows in runs.items():
        for i, key in enumerate(("serve_healthy_s", "serve_cpu_s", "ask_wall_s", "ask_cpu_s")):
            figures[f"{name}_{key}"] = round(statistics.median(r[i] for r in rows), 3)
        figures[f"{name}_serve_healthy_min_s"] = round(min(r[0] for r in rows), 3)
        figures[f"{name}_ask_wall_min_s"] = round(min(r[2] for r in rows), 3)
    figures["load_average"] = f"{load_before:.2f} → {os.getloadavg()[0]:.2f}"
    return figures


TARGETS = {"serve_healthy_s": "≤ 1.0", "ask_wall_s": "≤ 0.7", "rss_after_mb": "≤ 150", "rss_slope_mb_per_1000": "≈ 0"}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--starts", type=int, default=5, help="serve starts timed (after a first one)")
    parser.add_argument("--asks", type=int, default=5, help="ask processes timed")
    parser.add_argument("--root", default=str(ROOT), help="the checkout whose code runs (default: this one)")
    parser.add_argument("--source", action="store_true", help="do not byte-compile the code first")
    parser.add_argument("--against", metavar="DIR", help="start-up only, in turns with another checkout's code")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    out = asyncio.run(compare(args) if args.against else main(args))
    print_figures(out, TARGETS | {f"this_{k}": v for k, v in TARGETS.items()}, args.json)
