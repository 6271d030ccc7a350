"""`laodong announce create | status | cancel` (design.md §2)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import json
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings

VIETNAM = dt.timezone(dt.timedelta(hours=7))  # a time written without a zone is Vietnam's


class Refused(Exception):
    """Input an official must correct (the message says how, in Vietnamese)."""


def add_commands(sub: Any) -> None:
    """Add `announce …` to the `laodong` parser's subcommands."""
    announce = sub.add_parser("announce", help="announcements to workers who subscribed (/dangky)")
    announce_sub = announce.add_subparsers(dest="announce_command", required=True)
    create = announce_sub.add_parser("create", help="write an announcement; prints its id as the last word")
    create.add_argument("--text-file", required=True, type=Path, metavar="F", help="UTF-8 text, ≤ 1900 chars")
    target = create.add_mutually_exclusive_group()
    target.add_argument("--province", help="only subscribers of this province (lao-cai, kien-giang, other)")
    target.add_argument("--topic", help="only subscribers who chose this topic (vocational, employment, …)")
    target.add_argument("--campaign", help="only subscribers a campaign brought")
    create.add_argument("--at", metavar="ISO-TIME", help="send then (no zone: Vietnam time); default now")
    status = announce_sub.add_parser("status", help="how far an announcement has gone")
    status.add_argument("id", type=int)
    status.add_argument("--json", action="store_true", help='{"targets", "sent", "failed", "pending", "unsubscribed"}')
    cancel = announce_sub.add_parser("cancel", help="stop an announcement (what is not sent yet never is)")
    cancel.add_argument("id", type=int)


def parse_time(value: str | None, now: dt.datetime | None = None) -> dt.datetime | None:
    """An ISO time (no zone: Vietnam's); Refused when unreadable or in the past."""
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise Refused(f"Thời điểm gửi “{value}” không đúng dạng: hãy viết như 2026-12-20T08:00") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=VIETNAM)
    if moment < (now or dt.datetime.now(dt.UTC)) - dt.timedelta(minutes=1):
        raise Refused(f"Thời điểm gửi {value} đã qua: hãy chọn một thời điểm sắp tới, hoặc bỏ --at để gửi ngay")
    return moment.astimezone(dt.UTC)


def read_text(path: Path) -> str:
    """The announcement's text from a file; Refused when missing, not UTF-8, empty or too long."""

    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise Refused(f"Không thấy tệp {path}") from None
    except UnicodeDecodeError:
        raise Refused(f"Tệp {path} không phải văn bản UTF-8") from None
    except OSError as exc:
        raise Refused(f"Không đọc được tệp {path}: {exc.strerror}") from None
    return check_text(text)


def check_text(text: str) -> str:
    """The text as sent; Refused when empty or too long for one message."""
    from bot.announce.store import MAX_TEXT

    text = text.strip().replace("\r\n", "\n")
    if not text:
        raise Refused("Thông báo trống: hãy viết nội dung")
    if len(text) > MAX_TEXT:
        raise Refused(f"Thông báo dài {len(text)} ký tự; tối đa {MAX_TEXT} (một tin nhắn Zalo)")
    return text


def check_target(province: str | None, topic: str | None, campaign: str | None) -> tuple[str, str | None]:
    """(target, value) from the options; Refused for an unknown province or topic."""
    from knowledge.model import ENTRY_TOPICS, load_knowledge

    if province:
        provinces = load_knowledge().provinces
        if province not in provinces:
            raise Refused(f"Không có tỉnh “{province}”; chọn một trong: {', '.join(provinces)}")
        return "province", province
    if topic:
        if topic not in ENTRY_TOPICS:
            raise Refused(f"Không có chủ đề “{topic}”; chọn một trong: {', '.join(ENTRY_TOPICS)}")
        return "topic", topic
    if campaign:
        return "campaign", campaign[:64]
    return "all", None


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


async def _run(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    from bot.announce import store as announcements
    from bot.store.store import Store

    if args.announce_command == "create":  # everything checked before the database is touched
        text = read_text(args.text_file)
        target, value = check_target(args.province, args.topic, args.campaign)
        send_at = parse_time(args.at)
    store = Store(settings.database_url)
    try:
        await store.migrate()
        if args.announce_command == "create":
            made = await announcements.create(store, text, target, value, send_at, created_by=_actor())
            when = send_at.isoformat() if send_at else "ngay bây giờ"
            stdout.write(f"Đã tạo thông báo, gửi {when}: {made}\n")
            return 0
        if args.announce_command == "status":
            found = await announcements.status(store, args.id)
            if found is None:
                raise Refused(f"Không có thông báo số {args.id}")
            if args.json:
                stdout.write(json.dumps(found) + "\n")
            else:
                stdout.write(" ".join(f"{k}={v}" for k, v in found.items()) + "\n")
            return 0
        if not await announcements.cancel(store, args.id):
            raise Refused(f"Thông báo số {args.id} không có, hoặc đã gửi xong hay đã hủy")
        stdout.write(f"Đã hủy thông báo {args.id}\n")
        return 0
    finally:
        await store.close()


def run(settings: Settings, args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> int:
    """Run an `announce` command; 2 with a message for input to correct."""
    try:
        return asyncio.run(_run(settings, args, stdout))
    except Refused as exc:
        stderr.write(f"laodong announce: {exc}\n")
        return 2
