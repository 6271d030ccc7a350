"""Importing an official list: `laodong enterprises import` and the dashboard's upload.

`import_enterprises` reads and checks the file (bot/enterprises/listfile.py) and — if any row is
valid — replaces the active list in one transaction, or stages it for an official to compare
(`compare`) and confirm (`confirm_list`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from actions.brokers.rules import BrokerRules
from bot.enterprises.directory import EnterpriseCache
from bot.enterprises.listfile import ListFileError, Problem, Rejected, parse_rows, read_table
from bot.store import enterprises as db
from bot.store.store import Store

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    source: str
    list_id: int | None = None  # the new active list; None: nothing changed
    list_date: dt.date | None = None
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    problem: Problem | None = None  # why nothing was imported, when nothing was
    pending: bool = False  # staged for an official to confirm (the dashboard), not active yet

    @property
    def ok(self) -> bool:
        return self.list_id is not None

    @property
    def error(self) -> str | None:
        return str(self.problem) if self.problem else None

    def as_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "list_id": self.list_id,
            "list_date": self.list_date.isoformat() if self.list_date else None,
            "imported": self.imported,
            "rejected": [{"row": r.row, "reason": r.reason} for r in self.rejected],
            "ignored_columns": self.ignored_columns,
            "error": self.error,
        }

    def lines(self) -> list[str]:
        """The report as an official reads it (CLI)."""
        if self.ok:
            head = f"imported {self.imported} enterprises from {self.source}"
            head += f" (list of {self.list_date}, list #{self.list_id})"
        else:
            head = f"nothing imported from {self.source}: {self.error}; the current list is unchanged"
        out = [head]
        if self.ignored_columns:
            out.append(f"ignored columns: {', '.join(self.ignored_columns)}")
        if self.rejected:
            out.append(f"rejected {len(self.rejected)} rows:")
            out += [f"  row {r.row}: {r.reason}" for r in self.rejected]
        return out


async def import_enterprises(
    store: Store,
    path_or_bytes: str | Path | bytes,
    filename: str | None = None,
    list_date: dt.date | None = None,
    rules: BrokerRules | None = None,
    cache: EnterpriseCache | None = None,
    stage: bool = False,
    uploaded_by: str | None = None,
) -> ImportReport:
    """Check an official list file and make it the active list (nothing changes if no row is valid).

    `path_or_bytes` is a path, or the uploaded bytes with their `filename` (.csv or .xlsx).
    `list_date` overrides the file's list_date column. Give the bot's `cache` to reload at once.
    With `stage` the valid rows are only stored, for an official to compare and confirm
    (`confirm_list`); the active list stays as it is.
    """
    rules = rules or BrokerRules.load()
    if isinstance(path_or_bytes, bytes):
        if not filename:
            raise ValueError("uploaded bytes need their filename (.csv or .xlsx)")
        data = path_or_bytes
    else:
        path = Path(path_or_bytes)
        filename = filename or path.name
        try:
            data = path.read_bytes()
        except OSError as exc:
            return ImportReport(source=filename, problem=Problem.of("unreadable", detail=exc.strerror or exc))
    report = ImportReport(source=Path(filename).name)
    try:
        table = read_table(data, filename, rules.importing)
        valid, report.list_date, report.rejected, report.ignored_columns = parse_rows(table, rules, list_date)
    except ListFileError as exc:
        report.problem = exc.problem
        return report
    if not valid:
        report.problem = Problem.of("no_valid_rows")
        return report
    if report.list_date is None:
        report.problem = Problem.of("no_list_date")
        return report
    if stage:
        report.list_id = await db.stage_list(store, report.list_date, report.source, valid, uploaded_by)
        report.pending = True
    else:
        report.list_id = await db.replace_list(store, report.list_date, report.source, valid)
    report.imported = len(valid)
    if cache is not None and not stage:
        cache.invalidate()
    log.info(
        "enterprise list #%s: %d rows imported, %d rejected", report.list_id, report.imported, len(report.rejected)
    )
    return report


class Listed(Protocol):
    """What a comparison reads of an enterprise row."""

    @property
    def name(self) -> str: ...

    @property
    def licence_no(self) -> str: ...

    @property
    def status(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ListDiff:
    """How a newer list differs from an older one, matched by licence number."""

    added: list[Listed]
    removed: list[Listed]
    changed: list[tuple[Listed, Listed]]  # (old, new): the status (or the name) changed
    unchanged: int


def compare(old: Iterable[Listed], new: Iterable[Listed]) -> ListDiff:
    """Added, removed and changed enterprises between two lists (by licence number, case-blind)."""
    before = {r.licence_no.casefold(): r for r in old}
    after = {r.licence_no.casefold(): r for r in new}
    changed = [
        (before[k], r)
        for k, r in after.items()
        if k in before and (before[k].status != r.status or before[k].name != r.name)
    ]
    return ListDiff(
        added=[r for k, r in after.items() if k not in before],
        removed=[r for k, r in before.items() if k not in after],
        changed=changed,
        unchanged=sum(1 for k in after if k in before) - len(changed),
    )


async def confirm_list(store: Store, list_id: int, cache: EnterpriseCache | None = None) -> bool:
    """Make a staged (or an earlier) list the active one; False if there is no such list."""
    done = await db.activate_list(store, list_id)
    if done and cache is not None:
        cache.invalidate()
    return done
