"""The `laodong` command."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import sys
import uuid
from collections.abc import Sequence
from typing import TextIO

from bot.service import IncomingMessage, build_service
from bot.settings import Settings
from knowledge.check import check_knowledge
from knowledge.model import load_knowledge


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="laodong", description="Trợ lý Lao động — chatbot for workers.")
    sub = parser.add_subparsers(dest="command", required=True)

    ask = sub.add_parser("ask", help="answer one question (or one per line of stdin)")
    ask.add_argument("question", nargs="*", help="the question; omit to read one per line from stdin")
    ask.add_argument("--province", help="the worker's province: lao-cai, kien-giang or other")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer (design.md §2)")

    chat = sub.add_parser("chat", help="talk to the bot in the terminal")
    chat.add_argument("--province", help="the worker's province")

    serve = sub.add_parser("serve", help="run the web app (web chat, webhooks, /healthz)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")

    kb = sub.add_parser("kb", help="the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    kb_sub.add_parser("check", help="validate knowledge/ (design.md §3)")
    kb_list = kb_sub.add_parser("list", help="list the entries")
    kb_list.add_argument("--json", action="store_true", help="one JSON object per entry")

    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations")
    down = db_sub.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision", nargs="?", default="base")

    purge = sub.add_parser("purge", help="delete inquiries older than the retention period")
    purge.add_argument("--older-than", type=int, metavar="DAYS", help="default: LAODONG_RETENTION_DAYS")
    return parser


def _check_province(settings: Settings, province: str | None) -> str | None:
    if province is None:
        return None
    known = load_knowledge().provinces
    if province not in known:
        raise SystemExit(f"laodong: unknown province {province!r}; use one of: {', '.join(known)}")
    return province


def _render_text(handled_text: str, options: Sequence[str]) -> str:
    lines = [handled_text]
    lines += [f"  {i}. {label}" for i, label in enumerate(options, start=1)]
    return "\n".join(lines)


async def _ask(
    settings: Settings,
    questions: Sequence[str] | None,
    province: str | None,
    as_json: bool,
    stdin: TextIO,
    stdout: TextIO,
) -> int:
    service = await build_service(settings)
    user = f"ask-{uuid.uuid4().hex}"
    try:
        source = questions if questions is not None else (line.rstrip("\n") for line in stdin)
        for question in source:
            if questions is None and not question.strip():
                continue
            handled = await service.handle(
                IncomingMessage(channel="cli", user_ref=user, text=question, province=province)
            )
            outcome = handled.outcome
            if as_json:
                stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False) + "\n")
            else:
                stdout.write(_render_text(outcome.reply.text, [o.label for o in outcome.reply.options]) + "\n\n")
            stdout.flush()
    finally:
        await service.store.close()
    return 0


async def _chat(settings: Settings, province: str | None, stdin: TextIO, stdout: TextIO) -> int:
    service = await build_service(settings)
    user = f"chat-{uuid.uuid4().hex}"
    stdout.write("Trợ lý Lao động — gõ câu hỏi, Enter để gửi; số để chọn mục; Ctrl+D để thoát.\n\n")
    try:
        first = await service.handle(IncomingMessage(channel="cli", user_ref=user, text="/start", province=province))
        stdout.write(_render_text(first.outcome.reply.text, [o.label for o in first.outcome.reply.options]) + "\n")
        while True:
            stdout.write("\nBạn: ")
            stdout.flush()
            line = stdin.readline()
            if not line:
                break
            handled = await service.handle(IncomingMessage(channel="cli", user_ref=user, text=line.strip()))
            reply = handled.outcome.reply
            options = [o.label for o in reply.options]
            text = reply.text
            if reply.ask_feedback:
                text += "\n" + service.kb.text("feedback_prompt") + " (gõ 👍 hoặc 👎)"
            stdout.write("\nBot: " + _render_text(text, options) + "\n")
    finally:
        await service.store.close()
    return 0


def _kb(args: argparse.Namespace, stdout: TextIO) -> int:
    kb = load_knowledge()
    if args.kb_command == "check":
        problems = check_knowledge(kb)
        for problem in problems:
            stdout.write(f"{problem}\n")
        examples = sum(len(e.examples) for e in kb.entries.values())
        status = "FAILED" if problems else "ok"
        stdout.write(
            f"kb check {status}: {len(kb.entries)} entries, {examples} example questions, "
            f"{len(kb.documents)} documents, {len(problems)} problems\n"
        )
        return 1 if problems else 0
    for entry in kb.entries.values():
        if args.json:
            item = {
                "id": entry.id,
                "topic": entry.topic,
                "province": entry.scope,
                "title": entry.title,
                "sources": kb.source_dicts(entry),
            }
            stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            stdout.write(f"{entry.id}\t{entry.topic}\t{entry.scope}\t{entry.title}\n")
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.store import Store

    store = Store(settings.database_url)
    try:
        if args.db_command == "upgrade":
            await store.migrate()
        else:
            await store.downgrade(args.revision)
    finally:
        await store.close()
    return 0


async def _purge(settings: Settings, days: int | None, stdout: TextIO) -> int:
    from bot.store.store import Store

    store = Store(settings.database_url)
    try:
        await store.migrate()
        count = await store.purge(dt.timedelta(days=days or settings.retention_days))
    finally:
        await store.close()
    stdout.write(f"purged {count} inquiries\n")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = Settings()
    if args.command == "kb":
        return _kb(args, sys.stdout)
    if args.command == "ask":
        province = _check_province(settings, args.province)
        questions = [" ".join(args.question)] if args.question else None
        return asyncio.run(_ask(settings, questions, province, args.json, sys.stdin, sys.stdout))
    if args.command == "chat":
        return asyncio.run(_chat(settings, _check_province(settings, args.province), sys.stdin, sys.stdout))
    if args.command == "serve":
        from bot.web.app import run_server

        run_server(settings, host=args.host, port=args.port)
        return 0
    if args.command == "db":
        return asyncio.run(_db(settings, args))
    if args.command == "purge":
        return asyncio.run(_purge(settings, args.older_than, sys.stdout))
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
