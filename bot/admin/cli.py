"""`laodong admin create-user …` and `laodong report …`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from pathlib import Path
from typing import Any, TextIO

from bot.admin.roles import ROLES
from bot.settings import Settings

FORMATS = ("xlsx", "csv")


def add_commands(sub: Any) -> None:
    """Add the dashboard's commands to the `laodong` parser's subcommands."""
    admin = sub.add_parser("admin", help="the officials' dashboard (/admin)")
    admin_sub = admin.add_subparsers(dest="admin_command", required=True)
    create = admin_sub.add_parser("create-user", help="add an official who may sign in to /admin")
    create.add_argument("username", help="3–64 of a–z 0–9 . _ -")
    create.add_argument(
        "--role",
        choices=ROLES,
        required=True,
        help="viewer reads; editor answers and drafts knowledge; approver also publishes it; admin manages",
    )
    create.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    unlock = admin_sub.add_parser("unlock", help="let a username or address locked by failed sign-ins try again")
    unlock.add_argument("name", help="the username, or with --address the client address")
    unlock.add_argument("--address", action="store_true", help="NAME is an address, not a username")
    report = sub.add_parser("report", help="the monthly report officials send upward")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--province", help="one province (lao-cai, kien-giang, other); default all")
    report.add_argument("--format", choices=FORMATS, default="xlsx")
    report.add_argument("--output", required=True, metavar="FILE")


def read_password(from_stdin: bool, stdin: TextIO) -> str:
    """The new password: stdin's first line, or typed twice at a prompt."""
    if from_stdin:
        return stdin.readline().rstrip("\r\n")
    if not stdin.isatty():
        raise SystemExit("laodong: no terminal to ask for the password; use --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat: ") != first:
        raise SystemExit("laodong: the passwords differ")
    return first


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):
        return "cli"


async def create_user(settings: Settings, username: str, role: str, password: str, stdout: TextIO) -> int:
    from bot.admin.accounts import AccountError, Accounts
    from bot.store.opening import open_store

    async with open_store(settings) as store:
        accounts = Accounts(store)
        try:
            user = await accounts.create_user(username, password, role)
        except AccountError as exc:
            raise SystemExit(f"laodong: {exc}") from None
        await accounts.audit(_actor(), "user_create", f"user:{user.username}", {"role": role})
    stdout.write(f"created {role} {user.username}\n")
    return 0


async def unlock(settings: Settings, name: str, address: bool, stdout: TextIO) -> int:
    from bot.admin.accounts import Accounts
    from bot.store.opening import open_store

    kind = "ip" if address else "user"
    async with open_store(settings) as store:
        accounts = Accounts(store)
        lifted = await accounts.lift_lock(kind, name)
        if lifted:
            await accounts.audit(_actor(), "login_unlock", f"{kind}:{name[:64]}")
    stdout.write(f"{'unlocked' if lifted else 'not locked'}: {name}\n")
    return 0


async def write_report(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    from bot.admin.accounts import Accounts
    from bot.admin.queries import Dashboard
    from bot.admin.reports import monthly_report, report_bytes
    from bot.admin.texts import Labels, parse_month
    from bot.store.models import utcnow
    from bot.store.opening import open_store
    from knowledge.model import load_knowledge

    try:
        parse_month(args.month)
    except ValueError:
        raise SystemExit(f"laodong: --month {args.month!r} is not YYYY-MM") from None
    kb = load_knowledge()
    if args.province is not None and args.province not in kb.provinces:
        raise SystemExit(f"laodong: unknown province {args.province!r}; use one of: {', '.join(kb.provinces)}")
    async with open_store(settings) as store:
        report = await monthly_report(Dashboard(store), kb, Labels.for_kb(kb), args.month, args.province, utcnow())
        body = await asyncio.to_thread(report_bytes, report, args.format)
        detail = {"province": args.province, "format": args.format, "output": str(args.output)}
        await Accounts(store).audit(_actor(), "report", f"month:{args.month}", detail)
    Path(args.output).write_bytes(body)
    stdout.write(f"{report.title}: {args.output}\n")
    return 0


def run(settings: Settings, args: argparse.Namespace, stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> int:
    """Run `admin …` or `report …`."""
    if args.command == "admin" and args.admin_command == "unlock":
        return asyncio.run(unlock(settings, args.name, args.address, stdout))
    if args.command == "admin":
        password = read_password(args.password_stdin, stdin)
        return asyncio.run(create_user(settings, args.username, args.role, password, stdout))
    return asyncio.run(write_report(settings, args, stdout))
