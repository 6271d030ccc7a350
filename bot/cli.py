"""The `laodong` command."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import json
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.admin.cli import add_commands as add_admin_commands
from bot.admin.cli import run as run_admin_command
from bot.announce.cli import add_commands as add_announce_commands
from bot.enterprisescli import add_commands as add_enterprise_commands
from bot.enterprisescli import run as run_enterprise_command
from bot.kbcli import add_commands as add_kb_commands
from bot.kbcli import run as run_kb_command
from bot.settings import PublicUrlMissing, Settings
from knowledge.model import load_knowledge

# What only some commands need is imported inside them: one process runs one command, and start-up
# time is part of every `laodong ask` (scripts/bench_serve.py).


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="laodong", description="Trợ lý Lao động — chatbot for workers.")
    sub = parser.add_subparsers(dest="command", required=True)
    _add_talk_commands(sub)  # ask, chat, serve
    _add_channel_commands(sub)  # telegram, zalo, campaign
    _add_nlu_commands(sub)  # nlu export, train
    add_kb_commands(sub)  # kb check, list, export, import, history, rollback (bot/kbcli.py)
    _add_data_commands(sub)  # db, purge, enterprises
    add_admin_commands(sub)  # admin create-user, report (bot/admin/cli.py)
    add_announce_commands(sub)  # announce create, status, cancel (bot/announce/cli.py)
    return parser


def _add_talk_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`ask`, `chat` and `serve`: the bot answering."""
    ask = sub.add_parser("ask", help="answer one question (or one per line of stdin)")
    ask.add_argument("question", nargs="*", help="the question; omit to read one per line from stdin")
    ask.add_argument("--province", help="the worker's province: lao-cai, kien-giang or other")
    ask.add_argument("--json", action="store_true", help="one JSON object per answer (design.md §2)")
    ask.add_argument(
        "--conversation", action="store_true", help="stdin lines are one worker's turns (default: each a new worker)"
    )

    chat = sub.add_parser("chat", help="talk to the bot in the terminal")
    chat.add_argument("--province", help="the worker's province")

    serve = sub.add_parser("serve", help="run the web app (web chat, webhooks, /healthz)")
    serve.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8080)")
    serve.add_argument("--telegram-polling", action="store_true", help="poll Telegram instead of a webhook")
    serve.add_argument("--zalo-polling", action="store_true", help="poll Zalo (getUpdates) instead of a webhook")
    serve.add_argument("--workers", type=int, help="server processes on the port, one per core (default 1)")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # a worker of --workers N


def _add_channel_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`telegram` and `zalo` (the webhook), `campaign` (deep links and QR codes)."""
    for platform in ("telegram", "zalo"):
        channel = sub.add_parser(platform, help=f"the {platform.capitalize()} channel")
        channel_sub = channel.add_subparsers(dest="channel_command", required=True)
        hook = channel_sub.add_parser("set-webhook", help="register URL as the webhook, with the secret")
        hook.add_argument("url", help="the public https URL of /" + platform + "/webhook")

    campaign = sub.add_parser("campaign", help="outreach campaigns: deep links and QR codes")
    campaign_sub = campaign.add_subparsers(dest="campaign_command", required=True)
    create = campaign_sub.add_parser("create", help="add a campaign; print its links, write its QR code")
    create.add_argument("code", help="1–64 of A–Z a–z 0–9 _ - (Telegram's deep-link rules)")
    create.add_argument("--name", required=True, help="what the campaign is, e.g. the job fair's name")
    create.add_argument("--province", help="the province the campaign's users are from")
    create.add_argument("--out", help="folder for <CODE>.png and <CODE>.svg (default: <data_dir>/campaigns)")
    campaign_sub.add_parser("list", help="campaigns with their clicks, users and inquiries")


def _add_nlu_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`nlu export` (the Rasa project) and `nlu train` (the embedded model)."""
    nlu = sub.add_parser("nlu", help="the NLU engines")
    nlu_sub = nlu.add_subparsers(dest="nlu_command", required=True)
    export = nlu_sub.add_parser("export", help="write the Rasa 3.6 project from nlu/ and knowledge/")
    export.add_argument("dir", type=Path, help="the folder to write the project to")
    nlu_sub.add_parser("train", help="train the embedded model if knowledge/ or its code changed (<data_dir>/models)")


def _add_data_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`db`, `purge` and `enterprises`: schema, retention, the licensed list."""
    db = sub.add_parser("db", help="the database")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations")
    down = db_sub.add_parser("downgrade", help="revert migrations")
    down.add_argument("revision", nargs="?", default="base")

    purge = sub.add_parser("purge", help="delete workers' data older than the retention period")
    purge.add_argument("--older-than", type=int, metavar="DAYS", help="default: LAODONG_RETENTION_DAYS")
    add_enterprise_commands(sub)  # enterprises import, list (bot/enterprisescli.py)


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
    conversation: bool = False,
) -> int:
    """Answer each question as a new worker, or (`conversation`) as one worker's turns in order."""
    from bot.building import build_service
    from bot.conversations import answer_lines

    service = await build_service(settings)
    try:
        source = questions if questions is not None else (line.rstrip("\n") for line in stdin)
        lines = (q for q in source if questions is not None or q.strip())
        async for outcome in answer_lines(service, lines, province, conversation):
            if as_json:
                stdout.write(json.dumps(outcome.as_json(), ensure_ascii=False) + "\n")
            else:
                stdout.write(_render_text(outcome.reply.text, [o.label for o in outcome.reply.options]) + "\n\n")
            stdout.flush()
    finally:
        await service.close()
    return 0


async def _chat(settings: Settings, province: str | None, stdin: TextIO, stdout: TextIO) -> int:
    from bot.building import build_service
    from bot.service import IncomingMessage

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
        await service.close()
    return 0


async def _db(settings: Settings, args: argparse.Namespace) -> int:
    from bot.store.opening import open_store

    async with open_store(settings, migrate=False) as store:
        if args.db_command == "upgrade":
            await store.migrate()
        else:
            await store.downgrade(args.revision)
    return 0


async def _purge(settings: Settings, days: int | None, stdout: TextIO) -> int:
    from bot.announce.store import purge as purge_announcements
    from bot.store.models import utcnow
    from bot.store.opening import open_store

    async with open_store(settings) as store:
        count = await store.purge(dt.timedelta(days=days or settings.retention_days))
        await purge_announcements(store, utcnow() - dt.timedelta(days=days or settings.retention_days))
    stdout.write(f"purged {count} inquiries\n")
    return 0


async def _campaign(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    from bot.campaigns import CampaignError, create_campaign, links, write_qr
    from bot.store.opening import open_store

    try:
        public = settings.public_root()  # checked first: a production campaign needs its public address
    except PublicUrlMissing as exc:
        raise SystemExit(f"laodong: {exc}") from None
    async with open_store(settings) as store:
        if args.campaign_command == "list":
            for c in await store.campaign_stats():
                stdout.write(f"{c.code}\t{c.name}\t{c.province or '-'}\t{c.clicks} clicks\t{c.users} users\t")
                stdout.write(f"{c.inquiries} inquiries\n")
            for code, n in (await store.unknown_campaign_codes()).items():
                stdout.write(f"unknown code {code!r}: {n}\n")
            return 0
        try:
            found = await create_campaign(store, load_knowledge(), args.code, args.name, args.province)
        except CampaignError as exc:
            raise SystemExit(f"laodong: {exc}") from None
    campaign_links = links(found.code, public, settings.telegram_bot_username)
    png, svg = write_qr(campaign_links.web, Path(args.out) if args.out else settings.data_dir / "campaigns", found.code)
    stdout.write(f"campaign {found.code}: {found.name}" + (f" ({found.province})" if found.province else "") + "\n")
    if campaign_links.telegram:
        stdout.write(f"telegram: {campaign_links.telegram}\n")
    else:
        stdout.write("telegram: set LAODONG_TELEGRAM_BOT_USERNAME for the deep link\n")
    stdout.write(f"web: {campaign_links.web}\n")
    stdout.write(f"zalo: users send the code {found.code} as their first message\n")
    stdout.write(f"qr ({campaign_links.web}): {png} {svg}\n")
    return 0


async def _set_webhook(settings: Settings, platform: str, url: str, stdout: TextIO) -> int:
    if platform == "telegram":
        from bot.channels.telegram import set_webhook
    else:
        from bot.channels.zalo import set_webhook
    await set_webhook(settings, url)
    stdout.write(f"{platform} webhook set: {url}\n")
    return 0


def _nlu_export(directory: Path, stdout: TextIO) -> int:
    from nlu.rasa_export import export_project

    kb = load_knowledge()
    changed = export_project(kb, directory)
    stdout.write(f"Rasa project in {directory}: {len(kb.entries)} faq entries, {len(changed)} files changed\n")
    return 0


def _nlu_train(settings: Settings, stdout: TextIO) -> int:
    from actions.situations import SituationDetector
    from bot.building import models_dir
    from nlu.engine import EmbeddedEngine

    kb = load_knowledge()
    engine = EmbeddedEngine.load_or_train(kb, models_dir(settings))
    how = f"trained in {engine.training_seconds:.1f} s" if engine.trained_now else "up to date"
    stdout.write(f"embedded model {how}: {len(engine.model.labels)} labels, {engine.example_count} examples\n")
    detector = SituationDetector.load_or_train(kb, models_dir(settings))
    stdout.write(f"situation detector ready: {detector.example_count} examples\n")
    return 0


def main(argv: Sequence[str] | None = None, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """Run one `laodong` command (argv without the program name; stdin and stdout default to the
    process's); its exit code. Errors a user must read are raised as SystemExit with the message."""
    args = _parser().parse_args(argv)
    if not (args.command == "ask" and args.question) and args.command != "serve":
        gc.enable()  # run() held the collector off for a one-question ask and for serve's start-up
    settings = Settings()
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    if args.command == "kb":
        return run_kb_command(settings, args, stdout)
    if args.command == "nlu" and args.nlu_command == "train":
        return _nlu_train(settings, stdout)
    if args.command == "nlu":
        return _nlu_export(args.dir, stdout)
    if args.command == "ask":
        province = _check_province(settings, args.province)
        questions = [" ".join(args.question)] if args.question else None
        return asyncio.run(
            _ask(settings, questions, province, args.json, stdin, stdout, conversation=args.conversation)
        )
    if args.command == "chat":
        return asyncio.run(_chat(settings, _check_province(settings, args.province), stdin, stdout))
    if args.command == "serve":
        from bot.web.app import run_server

        if args.telegram_polling or args.zalo_polling:
            polling = {"telegram_polling": args.telegram_polling, "zalo_polling": args.zalo_polling}
            settings = settings.model_copy(update={k: v for k, v in polling.items() if v})
        workers = args.workers if args.workers is not None else settings.workers
        if workers < 1:
            raise SystemExit("laodong: --workers must be 1 or more")
        if workers > 1:
            from bot.web.workers import check

            check(settings)  # polling, production secrets: refused here, in plain words
            host, port = args.host or settings.host, str(args.port or settings.port)
            # The supervisor needs none of what this process imported: start it afresh, same pid.
            os.execv(sys.executable, [sys.executable, "-m", "bot.web.workers", str(workers), host, port])
        run_server(settings, host=args.host, port=args.port, reuse_port=args.reuse_port)
        return 0
    if args.command in ("telegram", "zalo"):
        return asyncio.run(_set_webhook(settings, args.command, args.url, stdout))
    if args.command == "campaign":
        return asyncio.run(_campaign(settings, args, stdout))
    if args.command == "db":
        return asyncio.run(_db(settings, args))
    if args.command == "purge":
        return asyncio.run(_purge(settings, args.older_than, stdout))
    if args.command == "enterprises":
        return run_enterprise_command(settings, args, stdout)
    if args.command in ("admin", "report"):
        return run_admin_command(settings, args, stdin, stdout)
    if args.command == "announce":
        from bot.announce.cli import run as run_announce

        return run_announce(settings, args, stdout, sys.stderr)
    return 2


def run() -> None:
    """The `laodong` console script (and `python -m bot.cli`): run the command, then leave at once.

    Start-up builds ~85,000 objects that last as long as the process: the garbage collector, off
    until main() (or serve, once started) turns it on, scanned them again and again (~85 ms of an
    ask). A command that returns has closed its database and written its output: tearing the
    interpreter down after it took ~0.3 s of an ask. Only logging's exit handler is registered by
    then: it runs here. An error leaves the ordinary way.
    """
    gc.disable()
    code = main()
    logging.shutdown()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # e.g. stdout was a pipe closed early: let Python report it as it does
        sys.exit(code)
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
