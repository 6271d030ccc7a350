"""`laodong enterprises import | list`: the official list of enterprises licensed to send workers abroad."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
from pathlib import Path
from typing import Any, TextIO

from bot.settings import Settings


def add_commands(sub: Any) -> None:
    """Add `enterprises …` to the `laodong` parser's subcommands."""
    ent = sub.add_parser("enterprises", help="the official list of enterprises licensed to send workers abroad")
    ent_sub = ent.add_subparsers(dest="enterprises_command", required=True)
    ent_import = ent_sub.add_parser("import", help="check a .csv/.xlsx list and make it the active list")
    ent_import.add_argument("file", type=Path, help="columns name, licence_no, licence_date, status, list_date")
    ent_import.add_argument("--list-date", type=_date_arg, help="the list's date (YYYY-MM-DD or DD/MM/YYYY)")
    ent_import.add_argument("--json", action="store_true", help="print the import report as JSON")
    ent_list = ent_sub.add_parser("list", help="the active list")
    ent_list.add_argument("--json", action="store_true", help="one JSON object per enterprise")


def _date_arg(value: str) -> dt.date:
    from bot.enterprises import parse_date

    try:
        return parse_date(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"the date {exc}") from None


def run(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    """Run `enterprises import` or `enterprises list`."""
    return asyncio.run(_run(settings, args, stdout))


async def _run(settings: Settings, args: argparse.Namespace, stdout: TextIO) -> int:
    from bot.enterprises import import_enterprises
    from bot.store.enterprises import active_list
    from bot.store.opening import open_store

    async with open_store(settings) as store:
        if args.enterprises_command == "import":
            report = await import_enterprises(store, args.file, list_date=args.list_date)
            if args.json:
                stdout.write(json.dumps(report.as_json(), ensure_ascii=False) + "\n")
            else:
                stdout.write("\n".join(report.lines()) + "\n")
            return 0 if report.ok else 1
        found = await active_list(store)
    if found is None:
        if not args.json:
            stdout.write("no enterprise list loaded (laodong enterprises import FILE)\n")
        return 0
    current, rows = found
    if not args.json:
        stdout.write(f"list #{current.id} of {current.list_date} ({current.source}, {current.row_count} enterprises)\n")
    for r in rows:
        item = {
            "name": r.name,
            "licence_no": r.licence_no,
            "licence_date": r.licence_date.isoformat() if r.licence_date else None,
            "status": r.status,
            "list_date": current.list_date.isoformat(),
        }
        if args.json:
            stdout.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            stdout.write(f"{r.licence_no}\t{r.status}\t{item['licence_date'] or '-'}\t{r.name}\n")
    return 0
