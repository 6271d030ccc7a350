"""Load test of the Telegram webhook path (issue 7): N updates a second for S seconds, PostgreSQL.

Loopback only, bounded in count and time: `laodong serve` in its own process with PostgreSQL
(a fresh database on 127.0.0.1:5432, dropped afterwards) and a fake Telegram Bot API in this
process. Reports the achieved rate, p50/p99 webhook latency, records written versus distinct
updates sent (must be equal), and the server's memory at start, peak and end (must stay flat).

    .venv/bin/python scripts/load_webhook.py [--rate 500] [--seconds 60] [--users 20000]

The fake API is not rate limited, so the server's own send pacing is lifted for the run
(LAODONG_TELEGRAM_RATE_*), and so is per-user flood control: this measures the webhook path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.evaluate import percentile
from scripts.bench_webhook import cpu_seconds, database, free_port, post_all, process_tree, records, server, workload
from tests.fakes.telegram import FakeTelegram


def rss_mb(pid: int) -> float:
    """Resident memory of the server: the process and its workers (`serve --workers N`)."""
    total = 0
    for p in process_tree(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total / 1024


async def sample_rss(pid: int, into: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        into.append(rss_mb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


@dataclass(slots=True)
class Measured:
    """What one run observed: the posts, the server's memory and CPU, and what the database holds."""

    latencies: list[float]
    counts: Counter[str]
    seconds: float
    server_cpu: float
    own_cpu: float
    start_rss: float
    end_rss: float
    samples: list[float]
    total: int
    distinct: int
    deliveries: Counter[str]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.update(
        {
            "LAODONG_TELEGRAM_RATE_OVERALL": "100000",
            "LAODONG_TELEGRAM_RATE_PER_CHAT": "1000",
            "LAODONG_USER_RATE": "1000",
            "LAODONG_USER_BURST": "1000",
        }
    )
    stream = workload(int(args.rate * args.seconds), args.users, duplicates=0.0)
    fake = FakeTelegram()
    api_url = await fake.start()
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        async with (
            database("postgresql", tmp) as db_url,
            server(db_url, api_url, tmp, free_port(), args.workers) as (base, pid),
        ):
            await warm_up(base)
            measured = await measure(args, base, pid, db_url, stream)
    await fake.close()
    return figures(args, stream, measured, len(fake.sent))


async def warm_up(base: str) -> None:
    """First requests build caches: 200 updates of their own before anything is measured."""
    warm = workload(200, 50, 0.0, seed=99)
    for update in warm:  # ids of their own, so the measured updates are not taken for retries
        update["update_id"] += 10_000_000
    await post_all(base, warm, 40, 0)


async def measure(args: argparse.Namespace, base: str, pid: int, db_url: str, stream: list[dict[str, Any]]) -> Measured:
    """Post the stream at the offered rate, wait for the replies to be delivered, and read the records."""
    start_rss = rss_mb(pid)
    samples: list[float] = []
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pid, samples, stop))
    server_cpu, own_cpu = cpu_seconds(pid), time.process_time()
    latencies, counts, seconds = await post_all(base, stream, args.concurrency, args.rate)
    server_cpu, own_cpu = cpu_seconds(pid) - server_cpu, time.process_time() - own_cpu
    drain_started = time.perf_counter()
    while time.perf_counter() - drain_started < args.drain_timeout:
        _, _, deliveries = await records(db_url)
        if "None" not in deliveries:
            break
        await asyncio.sleep(1.0)
    stop.set()
    await sampler
    end_rss = rss_mb(pid)
    total, distinct, deliveries = await records(db_url)
    return Measured(
        latencies, counts, seconds, server_cpu, own_cpu, start_rss, end_rss, samples, total, distinct, deliveries
    )


def figures(args: argparse.Namespace, stream: list[dict[str, Any]], m: Measured, replies: int) -> dict[str, Any]:
    """The run's figures, the warm-up's 200 updates left out."""
    sent_ids = {u["update_id"] for u in stream}
    return {
        "workers": args.workers,
        "offered_per_s": args.rate,
        "seconds_offered": args.seconds,
        "updates_sent": len(stream),
        "achieved_per_s": round(len(stream) / m.seconds, 1),
        "p50_ms": round(percentile(m.latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(m.latencies, 99) * 1000, 2),
        "http": dict(m.counts),
        "records_written": m.total - 200,  # less the warm-up
        "distinct_updates_sent": len(sent_ids),
        "lost": len(sent_ids) - (m.distinct - 200),
        "replies_sent": replies - 200,
        "deliveries": dict(m.deliveries),
        "rss_mb_start": round(m.start_rss, 1),
        "rss_mb_peak": round(max(m.samples, default=m.end_rss), 1),
        "rss_mb_end": round(m.end_rss, 1),
        # Where the machine's cores went while the updates were offered (all on one machine here).
        "server_cpu_ms_per_update": round(m.server_cpu / len(stream) * 1000, 2),
        "load_and_fake_api_cpu_ms_per_update": round(m.own_cpu / len(stream) * 1000, 2),
        "cores": os.cpu_count(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=500.0, help="updates a second to offer")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to offer them")
    parser.add_argument("--users", type=int, default=20000, help="distinct Telegram users")
    parser.add_argument("--workers", type=int, default=1, help="laodong serve --workers N")
    parser.add_argument("--concurrency", type=int, default=100, help="requests in flight at most")
    parser.add_argument("--drain-timeout", type=float, default=120.0, help="seconds to wait for replies")
    print(json.dumps(asyncio.run(run(parser.parse_args())), ensure_ascii=False, indent=1))
