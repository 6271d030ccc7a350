"""`make bench-engines`: the embedded engine and Rasa 3.6 side by side, on the labelled questions.

Both engines are trained from the same data (knowledge/ and nlu/data/) and judged by the
same Responder on tests/data/questions/. Latency is measured twice: the engine's parse
alone (for Rasa, the HTTP round trip to `rasa run` on loopback), and the whole message
path (BotService.handle with the SQLite inquiry log). Memory: the bot process for the
embedded engine; the Rasa server process (peak) for Rasa, which the bot process with its
embedded fallback comes on top of. Rasa's training time is the last `make rasa` training
(trained now if the model is missing or stale; --retrain forces it).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

IMPORT_STARTED = time.perf_counter()
from actions.respond import Responder  # noqa: E402
from actions.types import Policy  # noqa: E402
from bot.evaluate import Question, Report, evaluate_engine, load_questions, percentile  # noqa: E402
from bot.service import BotService, IncomingMessage  # noqa: E402
from bot.store.store import Store  # noqa: E402
from knowledge.model import KnowledgeBase, load_knowledge  # noqa: E402
from nlu.engine import EmbeddedEngine  # noqa: E402
from nlu.rasa_build import RasaLayout, ensure_model, read_note  # noqa: E402
from nlu.rasa_client import RasaEngine  # noqa: E402
from nlu.rasa_servers import RasaServers, free_port  # noqa: E402
from nlu.types import NluEngine  # noqa: E402
from scripts import bench_throughput  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - IMPORT_STARTED
THROUGHPUT_CONCURRENCY = 20


async def parse_latency(engine: NluEngine, questions: list[str], rounds: int) -> list[float]:
    timings = []
    for _ in range(rounds):
        for q in questions:
            started = time.perf_counter()
            await engine.parse(q)
            timings.append(time.perf_counter() - started)
    return timings


async def message_latency(
    kb: KnowledgeBase, engine: NluEngine, questions: list[str], rounds: int
) -> tuple[list[float], dict[str, int]]:
    """Seconds per message through BotService.handle (SQLite log), and which engine answered."""
    timings: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/bench.db")
        await store.migrate()
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, b"bench")
        engines: dict[str, int] = {}
        for r in range(rounds):
            for i, q in enumerate(questions):
                started = time.perf_counter()
                handled = await service.handle(IncomingMessage(channel="cli", user_ref=f"bench-{r}-{i % 50}", text=q))
                timings.append(time.perf_counter() - started)
                engines[handled.engine] = engines.get(handled.engine, 0) + 1
        await store.close()
    return timings, engines


def figures(report: Report, parse: list[float], message: list[float]) -> dict[str, Any]:
    m = report.metrics()
    return {
        **{k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()},
        "parse_p50_ms": round(percentile(parse, 50) * 1000, 2),
        "parse_p99_ms": round(percentile(parse, 99) * 1000, 2),
        "message_p50_ms": round(percentile(message, 50) * 1000, 2),
        "message_p99_ms": round(percentile(message, 99) * 1000, 2),
        "message_mean_ms": round(statistics.fmean(message) * 1000, 2),
    }


async def bench_embedded(kb: KnowledgeBase, questions: list[Question], rounds: int) -> dict[str, Any]:
    started = time.perf_counter()
    engine = EmbeddedEngine.train(kb)
    startup = time.perf_counter() - started
    responder = Responder(kb, Policy.load())
    report = await evaluate_engine(responder, engine, questions)
    texts = [q.q for q in questions]
    parse = await parse_latency(engine, texts, rounds)
    message, engines = await message_latency(kb, engine, texts, rounds)
    return {
        **figures(report, parse, message),
        "answered_by": engines,
        "training_seconds": round(engine.training_seconds, 2),
        "startup_seconds": round(startup + IMPORT_SECONDS, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "training_note": "at every start-up",
        "memory_note": "bot process (knowledge, engine, store)",
    }


async def bench_rasa(kb: KnowledgeBase, questions: list[Question], rounds: int, retrain: bool) -> dict[str, Any]:
    layout = RasaLayout()
    ensure_model(layout, force=retrain, echo=True)
    note = read_note(layout)
    servers = RasaServers(layout, port=free_port(), actions_port=free_port())
    servers.start_actions()  # not used by /model/parse; measured because a Rasa deployment runs it
    servers.start_rasa()
    try:
        engine = RasaEngine(kb, servers.url, servers.token, timeout=30)
        responder = Responder(kb, Policy.load())
        report = await evaluate_engine(responder, engine, questions)
        texts = [q.q for q in questions]
        parse = await parse_latency(engine, texts, rounds)
        message, engines = await message_latency(kb, engine, texts, rounds)
        await engine.close()
        return {
            **figures(report, parse, message),
            "answered_by": engines,
            "training_seconds": note.get("training_seconds"),
            "training_note": "from scratch" if note.get("forced") else "Rasa may reuse cached components",
            "startup_seconds": round(servers.startup_seconds, 2),
            "peak_rss_mb": round(servers.peak_rss_mb(servers.rasa), 1),
            "actions_rss_mb": round(servers.rss_mb(servers.actions), 1),
            "memory_note": "Rasa server process (peak); the action server and the bot with its embedded fallback"
            " come on top",
        }
    finally:
        servers.stop()


ROWS = [
    ("topic accuracy", "{topic_accuracy:.3f}"),
    ("entry accuracy", "{entry_accuracy:.3f}"),
    ("out-of-scope rejection", "{oos_rejection:.3f}"),
    ("on-topic but unanswerable, rejected", "{unanswerable_rejection:.3f}"),
    ("topic accuracy, unaccented / accented", "{topic_accuracy_unaccented:.3f} / {topic_accuracy_accented:.3f}"),
    ("entry accuracy, unaccented / accented", "{entry_accuracy_unaccented:.3f} / {entry_accuracy_accented:.3f}"),
    ("NLU latency per message, p50 / p99", "{parse_p50_ms} ms / {parse_p99_ms} ms"),
    ("whole message (bot + SQLite log), p50 / p99", "{message_p50_ms} ms / {message_p99_ms} ms"),
    ("peak memory (RSS) of the process that understands", "{peak_rss_mb:.0f} MB"),
    ("+ Rasa action server (RSS)", "{actions_rss_mb:.0f} MB"),
    ("start-up", "{startup_seconds} s"),
    ("training time", "{training_seconds} s ({training_note})"),
]


def table(embedded: dict[str, Any], rasa: dict[str, Any]) -> str:
    def cell(fmt: str, values: dict[str, Any]) -> str:
        safe = {k: (float("nan") if v is None else v) for k, v in values.items()}
        try:
            return fmt.format(**safe)
        except (KeyError, ValueError):
            return "—"

    lines = [
        f"| figure ({embedded['questions']} labelled questions) | embedded | Rasa 3.6.21 |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {name} | {cell(fmt, embedded)} | {cell(fmt, rasa)} |" for name, fmt in ROWS]
    return "\n".join(lines)


async def main(rounds: int, retrain: bool, throughput: int) -> dict[str, Any]:
    kb = load_knowledge()
    questions = load_questions()
    embedded = await bench_embedded(kb, questions, rounds)
    rasa = await bench_rasa(kb, questions, rounds, retrain)
    out: dict[str, Any] = {"embedded": embedded, "rasa": rasa}
    if throughput:  # whole servers under load: the web chat against Rasa's REST channel
        out["throughput"] = await bench_throughput.main(throughput, THROUGHPUT_CONCURRENCY, False, None)
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the questions for latency")
    parser.add_argument("--retrain", action="store_true", help="train the Rasa model even if it is up to date")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--throughput", type=int, default=600, help="messages for the throughput part (0: skip)")
    args = parser.parse_args()
    out = asyncio.run(main(args.rounds, args.retrain, args.throughput))
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        print(table(out["embedded"], out["rasa"]))
        print(f"\nanswered by: embedded run {out['embedded']['answered_by']}, Rasa run {out['rasa']['answered_by']}")
        if "throughput" in out:
            both = out["throughput"]
            print("\n" + bench_throughput.table(both["laodong"], both["rasa"], both["concurrency"]))
