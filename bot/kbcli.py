"""`laodong kb …`: check, list, export, import, history and rollback of the published knowledge."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings
from knowledge.model import KnowledgeBase, load_knowledge_files
from knowledge.snapshot import SnapshotError, read_tree, write_tree


def add_commands(sub: Any) -> None:
    """The `kb` subcommands, on the `laodong` parser."""
    kb = sub.add_parser("kb", help="the knowledge base (published versions in the database)")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate a folder in knowledge/'s layout (default: the published version)")
    check.add_argument("dir", nargs="?", type=Path, help="a knowledge folder (default: the published version)")
    kb_list = kb_sub.add_parser("list", help="list the published entries")
    kb_list.add_argument("--json", action="store_true", help="one JSON object per entry")
    export = kb_sub.add_parser("export", help="write the published version in knowledge/'s layout")
    export.add_argument("dir", type=Path, help="a new or empty folder")
    imp = kb_sub.add_parser("import", help="check a folder and publish it as a new version")
    imp.add_argument("dir", type=Path, help="a folder in knowledge/'s layout")
    imp.add_argument("--why", default="", help="why (kept in the history)")
    hist = kb_sub.add_parser("history", help="the published versions, newest first")
    hist.add_argument("--json", action="store_true", help="one JSON object per version")
    back = kb_sub.add_parser("rollback", help="publish an earlier version again, as a new version")
    back.add_argument("version", type=int, help="the version to bring back (kb history)")
    back.add_argument("--why", default="", help="why (kept in the history)")


def _actor() -> str:
    from bot.admin.cli import _actor as actor

    return actor()


def _report(kb: KnowledgeBase, problems: list[str], stdout: TextIO) -> int:
    for problem in problems:
        stdout.write(f"{problem}\n")
    examples = sum(len(e.examples) for e in kb.entries.values())
    status = "FAILED" if problems else "ok"
    stdout.write(
        f"kb check {status}: {len(kb.entries)} entries, {examples} example questions, "
        f"{len(kb.documents)} documents, {len(problems)} problems\n"
    )
    return 1 if problems else 0


def _folder(path: Path) -> dict[str, str]:
    try:
        return read_tree(path)
    except SnapshotError as exc:
        raise SystemExit(f"laodong: {exc}") from None


def _check(files: dict[str, str], stdout: TextIO) -> int:
    from bot.kbstore import check_files

    problems = check_files(files)
    try:
        kb = load_knowledge_files(files)
    except Exception:  # check_files said why
        for problem in problems:
            stdout.write(f"{problem}\n")
        stdout.write(f"kb check FAILED: {len(problems)} problems\n")
        return 1
    return _report(kb, problems, stdout)


def _list(files: dict[str, str], as_json: bool, stdout: TextIO) -> int:
    kb = load_knowledge_files(files)
    for entry in kb.entries.values():
        if as_json:
            item = {"id": entry.id, "topic": entry.topic, "province": entry.scope, "title": entry.title}
            stdout.write(json.dumps({**item, "sources": kb.source_dicts(entry)}, ensure_ascii=False) + "\n")
        else:
            stdout.write(f"{entry.id}\t{entry.topic}\t{entry.scope}\t{entry.title}\n")
    return 0


def _summary(changes: dict[str, Any]) -> str:
    if "seeded" in changes:
        return f"{changes['seeded']} files"
    parts = [f"+{len(changes.get('added', []))} ~{len(changes.get('changed', []))} -{len(changes.get('removed', []))}"]
    return " ".join(parts + list(changes.get("changed", [])[:3]) + list(changes.get("files", [])[:3]))


async def _with_store(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    from bot.kbstore import PublishError, ensure_published, history, publish, rollback
    from bot.store.store import Store

    store = Store(settings.database_url)
    try:
        await store.migrate()
        version, files = await ensure_published(store)
        command = args.kb_command
        if command == "check":
            stdout.write(f"published version {version.id}\n")
            return _check(files, stdout)
        if command == "list":
            return _list(files, args.json, stdout)
        if command == "export":
            write_tree(files, args.dir)
            stdout.write(f"version {version.id} written to {args.dir}: {len(files)} files\n")
            return 0
        if command == "history":
            for v in await history(store, limit=10_000):
                if args.json:
                    stdout.write(json.dumps(v.as_json(v.id == version.id), ensure_ascii=False) + "\n")
                else:
                    when = v.created_at.strftime("%Y-%m-%d %H:%M")
                    mark = "*" if v.id == version.id else " "
                    stdout.write(f"{mark}{v.id}\t{when}\t{v.author}\t{v.kind}\t{_summary(v.summary)}\t{v.why}\n")
            return 0
        try:
            if command == "import":
                new = await publish(store, _folder(args.dir), _actor(), "import", args.why, on_version=version.id)
            else:
                new = await rollback(store, args.version, _actor(), args.why)
        except PublishError as exc:
            for problem in exc.problems:
                stdout.write(f"{problem}\n")
            stdout.write(f"nothing published: {exc}\n")
            return 0 if exc.code == "unchanged" else 1
        stdout.write(f"published version {new.id} ({_summary(new.summary)})\n")
        return 0
    finally:
        await store.close()


def run(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """`laodong kb …`; a folder given to `kb check` is checked without the database."""
    if args.kb_command == "check" and args.dir is not None:
        return _check(_folder(args.dir), stdout)
    if args.kb_command == "export" and args.dir.exists() and any(args.dir.iterdir()):
        raise SystemExit(f"laodong: {args.dir} is not empty (export writes a whole folder; give a new or empty one)")
    if args.kb_command == "import" and not args.dir.is_dir():
        raise SystemExit(f"laodong: {args.dir}: not a folder")
    return asyncio.run(_with_store(settings, args, stdout))
