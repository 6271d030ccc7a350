"""Broker and scam checks: warning-sign precision and recall, the situation detector (warning and
trouble abroad) on the development stories and on fresh stories, company matching, and speed.

    .venv/bin/python scripts/bench_brokers.py [--json] [--failures]

- warning signs: tests/data/warnings.yaml (labelled by hand; `split: fresh` items were written
  after the cue patterns were first tuned, `fresh2` after all tuning), and the false alarms on
  every example question of the knowledge base outside the two warning entries;
- situations: the learned detector with the cues (actions/situations.py, actions/brokers.py
  `read_situation`) on the development stories of actions/data/situations.yaml (never trained on)
  with tests/data/questions as ordinary messages; and, when they exist, on
  tests/data/fresh/situations.yaml (+ tests/data/fresh/questions.yaml as ordinary), written after
  the model was frozen — reported separately;
- matching: tests/data/enterprises/matching.yaml against the fictitious list licensed.csv, alone
  and hidden among 500 more generated fictitious names (a list about the real one's size);
- latency: the whole ask path (BotService.handle with the SQLite log) with that 508-name list
  loaded, on the warning and matching questions.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from actions.brokers.directory import EnterpriseDirectory
from actions.brokers.listing import Enterprise, look_up
from actions.brokers.rules import BrokerRules
from actions.brokers.signs import read_situation
from actions.respond import Responder
from actions.situations import DEV_EVERY, STORY_ENTRIES, SituationDetector, Story, load_stories, ordinary_questions
from actions.types import Policy
from bot.enterprises import import_enterprises, parse_rows, read_table
from bot.service import BotService, IncomingMessage
from bot.store.store import Store
from knowledge.model import load_knowledge
from nlu.engine import EmbeddedEngine
from nlu.normalize import fold, normalize

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
WARNING_ENTRIES = {"vn_canh_bao_moi_gioi_bat_hop_phap", "lc_khong_di_trai_phep"}
# The answer to a worker abroad in trouble (the urgent reply cites it): questions it answers are not ordinary.
TROUBLE_ENTRIES = frozenset({"vn_bao_ho_cong_dan_nuoc_ngoai"})
SYLLABLES = [
    *("An", "Bình", "Cát", "Đông", "Gia", "Hà", "Hòa", "Hưng", "Khang", "Lâm", "Long", "Minh", "Nam", "Ngọc"),
    *("Phú", "Phúc", "Quang", "Sơn", "Tâm", "Thái", "Thành", "Thịnh", "Tiến", "Trung", "Tú", "Việt", "Vinh"),
    *("Xuân", "Yên", "Bảo", "Đức", "Hải", "Hoàng", "Kiên", "Lộc", "Mỹ", "Nhật", "Phát", "Tín", "Trí", "Uy", "Vạn"),
]
FORMS = ("Công ty TNHH", "Công ty Cổ phần", "Công ty TNHH MTV", "Công ty CP")
KINDS = ("Nhân lực", "Xuất khẩu Lao động", "Cung ứng Nhân lực", "Thương mại và Dịch vụ", "Hợp tác Quốc tế", "Đầu tư")


def rate(num: int, den: int) -> float:
    return round(num / den, 4) if den else float("nan")


def warning_figures(rules: BrokerRules, failures: list[str]) -> dict[str, Any]:
    """tests/data/warnings.yaml with the cues and the learned detector together, as the bot warns."""
    detector = SituationDetector.for_kb(load_knowledge())
    items = yaml.safe_load((DATA / "warnings.yaml").read_text(encoding="utf-8"))
    out: dict[str, Any] = {}
    for name, part in (
        ("all", items),
        ("accented", [i for i in items if fold(i["q"]) != i["q"].lower()]),
        ("unaccented", [i for i in items if fold(i["q"]) == i["q"].lower()]),
        ("fresh", [i for i in items if i.get("split") == "fresh"]),
        ("fresh2", [i for i in items if i.get("split") == "fresh2"]),
    ):
        tp = fp = fn = 0
        for item in part:
            fired = read_situation(rules, detector, normalize(item["q"]))[1]
            tp += fired and item["warning"]
            fp += fired and not item["warning"]
            fn += (not fired) and item["warning"]
            if name == "all" and fired != item["warning"]:
                failures.append(f"  warning {'missed' if item['warning'] else 'false alarm'}: {item['q']!r}")
        out[name] = {"n": len(part), "precision": rate(tp, tp + fp), "recall": rate(tp, tp + fn)}
    kb = load_knowledge()
    ordinary = [q for e in kb.entries.values() if e.id not in WARNING_ENTRIES for q in e.examples]
    alarms = [q for q in ordinary if read_situation(rules, detector, normalize(q))[1]]
    failures += [f"  false alarm on a knowledge-base example: {q!r}" for q in alarms]
    out["kb_examples"] = {"n": len(ordinary), "false_alarms": len(alarms), "rate": rate(len(alarms), len(ordinary))}
    return out


FRESH_DIRS = sorted(DATA.glob("fresh*"))  # sets written after the model froze, one directory a round


def held_out_questions(paths: list[Path]) -> list[str]:
    """Labelled questions (tests/data/questions format) that no story entry answers: ordinary messages."""
    out = []
    for path in paths:
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            entries = item.get("entry")
            entries = set(entries) if isinstance(entries, list) else {entries}
            # a question its writer marked as a worker abroad in trouble (or a scam), or answered by the
            # citizen-protection entry (trouble abroad), is no ordinary one
            if not entries & (STORY_ENTRIES | TROUBLE_ENTRIES) and not item.get("urgent") and not item.get("warning"):
                out.append(str(item["q"]))
    return out


def situation_figures(
    rules: BrokerRules,
    detector: SituationDetector,
    stories: list[Story],
    extra_ordinary: list[str],
    failures: list[str],
) -> dict[str, Any]:
    """Warning and urgent recall, false alarms on ordinary messages (both labels false), and cost."""
    ordinary = [s.q for s in stories if not s.warning and not s.urgent] + extra_ordinary
    timings: list[float] = []

    def flags(q: str) -> tuple[bool, bool]:
        started = time.perf_counter()
        _, warned, urgent = read_situation(rules, detector, normalize(q))
        timings.append(time.perf_counter() - started)
        return warned, urgent

    def recall(items: list[Story], label: str, report: bool = True) -> dict[str, Any]:
        hits = 0
        for s in items:
            hit = flags(s.q)[0 if label == "warning" else 1]
            hits += hit
            if report and not hit:
                failures.append(f"  {label} missed ({s.situation}): {s.q!r}")
        return {"n": len(items), "recall": rate(hits, len(items))}

    warn = [s for s in stories if s.warning]
    out: dict[str, Any] = {
        "warning": recall(warn, "warning"),
        "warning_accented": recall([s for s in warn if fold(s.q) != s.q.lower()], "warning", False),
        "warning_unaccented": recall([s for s in warn if fold(s.q) == s.q.lower()], "warning", False),
        "urgent": recall([s for s in stories if s.urgent], "urgent"),
    }

    def alarms(messages: list[str]) -> dict[str, Any]:
        warned = urgent = 0
        for q in messages:
            w, u = flags(q)
            warned += w
            urgent += u
            if w or u:
                failures.append(f"  {'warning' if w else ''}{' urgent' if u else ''} false alarm: {q!r}")
        n = len(messages)
        return {"n": n, "warning_false_alarms": rate(warned, n), "urgent_false_alarms": rate(urgent, n)}

    # The stories file's ordinary messages (near-misses) and the questions, apart and together.
    out["ordinary_in_stories"] = alarms(ordinary[: len(ordinary) - len(extra_ordinary)])
    out["ordinary_questions"] = alarms(extra_ordinary)
    parts = (out["ordinary_in_stories"], out["ordinary_questions"])
    n = sum(p["n"] for p in parts)
    out["ordinary"] = {"n": n}
    for key in ("warning_false_alarms", "urgent_false_alarms"):
        out["ordinary"][key] = rate(round(sum(p[key] * p["n"] for p in parts if p["n"])), n)
    out["per_message_ms"] = round(statistics.fmean(timings) * 1000, 3) if timings else None
    return out


def situations(rules: BrokerRules, failures: list[str]) -> dict[str, Any]:
    """The detector on the development stories and, when present, on the fresh stories."""
    kb = load_knowledge()
    detector = SituationDetector.for_kb(kb)
    out: dict[str, Any] = {
        "training_seconds": round(detector.training_seconds, 3),  # when it was trained (once per process)
        "training_examples": detector.example_count,
    }
    dev = [s for s in load_stories() if s.dev]
    questions = held_out_questions(sorted((DATA / "questions").glob("*.yaml")))
    out["dev"] = situation_figures(rules, detector, dev, questions, failures)
    # The cue patterns and thresholds were tuned looking at that part: the same figures with the
    # development part rotated (another fifth held out, a detector trained without it) show how far
    # that tuning flatters them.
    out["rotated"] = []
    for offset in range(1, DEV_EVERY):
        stories = load_stories(dev_offset=offset)
        rotated = SituationDetector.train(stories, ordinary_questions(kb))
        part = [s for s in stories if s.dev]
        out["rotated"].append(situation_figures(rules, rotated, part, questions, []))
    for directory in FRESH_DIRS:
        if (directory / "situations.yaml").exists():
            asked = directory / "questions.yaml"
            fresh_questions = held_out_questions([asked]) if asked.exists() else []
            stories = load_stories(directory / "situations.yaml")
            out[directory.name] = situation_figures(rules, detector, stories, fresh_questions, failures)
    return out


def print_situations(out: dict[str, Any]) -> None:
    """The situation figures as lines of text (targets of issue 12 in brackets)."""
    print(f"situation detector: trained in {out['training_seconds']} s on {out['training_examples']} messages")
    for part in ("dev", *(d.name for d in FRESH_DIRS)):
        if part not in out:
            print(f"  {part}: tests/data/{part}/situations.yaml not present")
            continue
        f = out[part]
        o = f["ordinary"]
        print(
            f"  {part}: warning recall {f['warning']['recall']} (n={f['warning']['n']}) [≥ 0.95]"
            f"  accented {f['warning_accented']['recall']} / unaccented {f['warning_unaccented']['recall']}"
            f" [within 0.03]"
        )
        print(
            f"  {part}: false alarms on {o['n']} ordinary: warning {o['warning_false_alarms']} [≤ 0.01]"
            f"  urgent {o['urgent_false_alarms']} [≤ 0.01]"
        )
        parts = (("ordinary_in_stories", "ordinary of the stories file"), ("ordinary_questions", "questions"))
        for key, label in parts:
            p = f[key]
            print(
                f"    of which {p['n']} {label}: warning {p['warning_false_alarms']}  urgent {p['urgent_false_alarms']}"
            )
        print(
            f"  {part}: trouble-abroad recall {f['urgent']['recall']} (n={f['urgent']['n']}) [≥ 0.95]"
            f"  {f['per_message_ms']} ms a message"
        )
    for i, f in enumerate(out.get("rotated", []), start=1):
        print(
            f"  dev rotated {i}: warning recall {f['warning']['recall']}  trouble-abroad recall {f['urgent']['recall']}"
            f"  false alarms warning / urgent: near-misses {f['ordinary_in_stories']['warning_false_alarms']} /"
            f" {f['ordinary_in_stories']['urgent_false_alarms']}, all {f['ordinary']['n']}"
            f" {f['ordinary']['warning_false_alarms']} / {f['ordinary']['urgent_false_alarms']}"
        )


def fixture_enterprises(rules: BrokerRules) -> list[Enterprise]:
    data = (DATA / "enterprises" / "licensed.csv").read_bytes()
    rows, list_date, _, _ = parse_rows(read_table(data, "licensed.csv", rules.importing), rules)
    assert list_date is not None
    return [Enterprise(r.name, r.licence_no, r.licence_date, r.status, list_date) for r in rows]


def generated_names(count: int, seed: int = 7) -> list[str]:
    """Fictitious names in the shape of real ones (legal form, trade, two or three syllables)."""
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < count:
        words = " ".join(rng.sample(SYLLABLES, rng.choice((2, 2, 3))))
        names.add(f"{rng.choice(FORMS)} {rng.choice(KINDS)} {words} Mẫu")
    return sorted(names)


def matching_figures(directory: EnterpriseDirectory, failures: list[str], label: str) -> dict[str, Any]:
    cases = yaml.safe_load((DATA / "enterprises" / "matching.yaml").read_text(encoding="utf-8"))
    right = 0
    timings = []
    for case in cases:
        started = time.perf_counter()
        lookup = look_up(case["q"], normalize(case["q"]), directory)
        timings.append(time.perf_counter() - started)
        if lookup is None:
            got = "none"
        elif lookup.found:
            got = lookup.found.licence_no
        else:
            got = "several" if lookup.matches else "not_listed"
        right += got == case["expect"]
        if got != case["expect"]:
            failures.append(f"  matching ({label}): {case['q']!r} expected {case['expect']} got {got}")
    return {
        "n": len(cases),
        "accuracy": rate(right, len(cases)),
        "lookup_mean_ms": round(statistics.fmean(timings) * 1000, 3),
        "lookup_max_ms": round(max(timings) * 1000, 3),
    }


async def latency(rules: BrokerRules, names: list[str], rounds: int) -> dict[str, Any]:
    kb = load_knowledge()
    engine = EmbeddedEngine.train(kb)
    questions = [i["q"] for i in yaml.safe_load((DATA / "warnings.yaml").read_text(encoding="utf-8"))]
    questions += [c["q"] for c in yaml.safe_load((DATA / "enterprises" / "matching.yaml").read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "list.csv"
        lines = ["name,licence_no,licence_date,status,list_date"]
        fixture = fixture_enterprises(rules)
        lines += [f"{e.name},{e.licence_no},{e.licence_date},{e.status},{e.list_date}" for e in fixture]
        lines += [f"{n},B-{i:04d}/GP,2020-01-01,active,2025-06-30" for i, n in enumerate(names)]
        csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
        store = Store(f"sqlite:///{tmp}/bench.db")
        await store.migrate()
        service = BotService(kb, engine, Responder(kb, Policy.load()), store, b"bench")
        report = await import_enterprises(store, csv, cache=service.enterprises)
        timings = []
        for r in range(rounds):
            for i, q in enumerate(questions):
                started = time.perf_counter()
                await service.handle(IncomingMessage(channel="cli", user_ref=f"bench-{r}-{i}", text=q))
                timings.append(time.perf_counter() - started)
        await store.close()
    ordered = sorted(timings)
    return {
        "list_size": report.imported,
        "messages_timed": len(timings),
        "latency_p50_ms": round(ordered[len(ordered) // 2] * 1000, 2),
        "latency_p99_ms": round(ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))] * 1000, 2),
    }


def main(rounds: int, show_failures: bool) -> dict[str, Any]:
    rules = BrokerRules.load()
    failures: list[str] = []
    fixture = fixture_enterprises(rules)
    names = generated_names(500)
    list_date = fixture[0].list_date
    big = EnterpriseDirectory(
        [*fixture, *(Enterprise(n, f"B-{i:04d}/GP", None, "active", list_date) for i, n in enumerate(names))],
        rules.matching,
        list_id=1,
    )
    result = {
        "warnings": warning_figures(rules, failures),
        "situations": situations(rules, failures),
        "matching": matching_figures(EnterpriseDirectory(fixture, rules.matching, list_id=1), failures, "8 names"),
        "matching_in_508_names": matching_figures(big, failures, "508 names"),
        "ask_path": asyncio.run(latency(rules, names, rounds)),
    }
    if show_failures:
        print("\n".join(failures) or "  no failures")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions for latency")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--failures", action="store_true", help="list what the checks got wrong")
    args = parser.parse_args()
    out = main(args.rounds, args.failures)
    if args.json:
        print(json.dumps(out, ensure_ascii=False))
    else:
        w = out["warnings"]
        print(f"warning signs, all ({w['all']['n']}): precision {w['all']['precision']}  recall {w['all']['recall']}")
        for part in ("accented", "unaccented", "fresh", "fresh2"):
            print(f"  {part} ({w[part]['n']}): precision {w[part]['precision']}  recall {w[part]['recall']}")
        kbx = w["kb_examples"]
        print(f"  false alarms on {kbx['n']} knowledge-base questions: {kbx['false_alarms']} ({kbx['rate']})")
        print_situations(out["situations"])
        for key in ("matching", "matching_in_508_names"):
            m = out[key]
            print(
                f"{key.replace('_', ' ')} ({m['n']}): accuracy {m['accuracy']}"
                f"  lookup mean {m['lookup_mean_ms']} ms, max {m['lookup_max_ms']} ms"
            )
        a = out["ask_path"]
        print(
            f"ask path with a {a['list_size']}-name list ({a['messages_timed']} messages): "
            f"p50 {a['latency_p50_ms']} ms  p99 {a['latency_p99_ms']} ms   [p99 ≤ 20]"
        )
