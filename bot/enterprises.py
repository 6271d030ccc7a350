"""The official list of licensed enterprises: import from CSV or Excel, and the in-memory copy.

`import_enterprises` is what `laodong enterprises import` and the dashboard's upload call: it
reads a .csv (UTF-8) or .xlsx file with English or Vietnamese headers, checks every row,
reports each rejected row with its reason, and — if any row is valid — replaces the active
list in one transaction. `EnterpriseCache` keeps the active list in memory for the bot and
reloads it when a newer list becomes active.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actions.brokers import STATUSES, BrokerRules, Enterprise, EnterpriseDirectory, ImportRules, MatchingRules, name_key
from bot.store import enterprises as db
from bot.store.store import Store
from nlu.normalize import clean, normalize

log = logging.getLogger(__name__)

COLUMNS = ("name", "licence_no", "licence_date", "status", "list_date")
REQUIRED = ("name", "licence_no", "licence_date", "status")
MAX_NAME = 300
MAX_LICENCE = 64
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_VN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


class ListFileError(ValueError):
    """The file cannot be read as an enterprise list at all."""


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row left out of the import, and why (row numbers as the spreadsheet shows them)."""

    row: int
    reason: str


@dataclass(slots=True)
class ImportReport:
    """What an import did."""

    source: str
    list_id: int | None = None  # the new active list; None: nothing changed
    list_date: dt.date | None = None
    imported: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    error: str | None = None  # why nothing was imported, when nothing was

    @property
    def ok(self) -> bool:
        return self.list_id is not None

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


def _fold(value: object) -> str:
    return normalize(str(value), {}).folded


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(clean(str(value)).split())


def parse_date(value: object) -> dt.date:
    """A date cell: an Excel date, YYYY-MM-DD or DD/MM/YYYY (ValueError with the reason otherwise)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    if not text:
        raise ValueError("is empty")
    found = _ISO_DATE.match(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
    else:
        vn = _VN_DATE.match(text)
        if not vn:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")
        day, month, year = (int(g) for g in vn.groups())
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)") from None
    if not 1990 <= date.year <= 2100:
        raise ValueError(f"{text!r} is out of range")
    return date


def _read_csv(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListFileError("the file is not UTF-8 text; save it as “CSV UTF-8”") from None
    sample = text[:4096]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), dialect)]


def _read_xlsx(data: bytes, max_rows: int) -> list[list[Any]]:
    from openpyxl import load_workbook  # only when an Excel file comes

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ListFileError(f"not a readable .xlsx workbook ({exc.__class__.__name__})") from None
    try:
        rows = []
        for row in book.active.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > max_rows + 20:
                break
        return rows
    finally:
        book.close()


def read_table(data: bytes, filename: str, rules: ImportRules) -> list[list[Any]]:
    """The cells of a .csv or .xlsx file, row by row."""
    if len(data) > rules.max_bytes:
        raise ListFileError(f"the file is larger than {rules.max_bytes} bytes")
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(data)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, rules.max_rows)
    if suffix == ".xls":
        raise ListFileError("old .xls workbooks are not read; save the file as .xlsx or CSV UTF-8")
    raise ListFileError(f"unsupported file type {suffix or '(none)'!r}: use .csv or .xlsx")


def find_header(rows: Sequence[Sequence[Any]], rules: ImportRules) -> tuple[int, dict[str, int], list[str]]:
    """(row index, column of each field, ignored headers) of the header row (it may sit under a title)."""
    aliases = {col: {_fold(a) for a in names} for col, names in rules.headers.items()}
    for index, row in enumerate(rows[: rules.header_scan_rows]):
        columns: dict[str, int] = {}
        ignored = []
        for position, cell in enumerate(row):
            folded = _fold(cell) if cell is not None else ""
            col = next((c for c, names in aliases.items() if folded in names), None)
            if col is not None and col not in columns:
                columns[col] = position
            elif folded:
                ignored.append(_cell_text(cell))
        if "name" in columns and "licence_no" in columns:
            missing = [c for c in REQUIRED if c not in columns]
            if missing:
                raise ListFileError(f"the header row (row {index + 1}) lacks the column(s) {', '.join(missing)}")
            return index, columns, ignored
    raise ListFileError(
        "no header row: the file needs the columns name, licence_no, licence_date, status, list_date "
        "(or Tên doanh nghiệp, Số giấy phép, Ngày cấp, Trạng thái, Ngày danh sách)"
    )


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    row: db.EnterpriseRow
    list_date: dt.date | None


def parse_rows(
    rows: Sequence[Sequence[Any]], rules: BrokerRules, list_date: dt.date | None = None
) -> tuple[list[db.EnterpriseRow], dt.date | None, list[Rejected], list[str]]:
    """(valid rows, the list's date, rejected rows, ignored columns) of a table."""
    header, columns, ignored = find_header(rows, rules.importing)
    statuses = {_fold(k): v for k, v in rules.importing.statuses.items()}
    rejected: list[Rejected] = []
    parsed: list[_Row] = []
    seen_licences: dict[str, int] = {}
    data_rows = rows[header + 1 :]
    if len(data_rows) > rules.importing.max_rows:
        raise ListFileError(f"more than {rules.importing.max_rows} rows")
    for offset, row in enumerate(data_rows):
        number = header + offset + 2

        def cell(col: str, row: Sequence[Any] = row) -> Any:
            position = columns.get(col)
            return row[position] if position is not None and position < len(row) else None

        if all(_cell_text(v) == "" for v in row):
            continue
        problems = []
        name = _cell_text(cell("name"))
        key = name_key(name, rules.matching) if name else ""
        if not name:
            problems.append("the name is empty")
        elif len(name) > MAX_NAME:
            problems.append(f"the name is longer than {MAX_NAME} characters")
        elif not key:
            problems.append(f"the name {name!r} holds only legal-form words")
        licence = _cell_text(cell("licence_no"))
        if not licence:
            problems.append("the licence number is empty")
        elif len(licence) > MAX_LICENCE:
            problems.append(f"the licence number is longer than {MAX_LICENCE} characters")
        elif licence.casefold() in seen_licences:
            problems.append(f"licence number {licence!r} is also on row {seen_licences[licence.casefold()]}")
        licence_date: dt.date | None = None
        try:
            licence_date = parse_date(cell("licence_date"))
        except ValueError as exc:
            problems.append(f"the licence date {exc}")
        raw_status = _cell_text(cell("status"))
        status = statuses.get(_fold(raw_status)) if raw_status else None
        if status is None:
            known = ", ".join(STATUSES)
            problems.append(
                f"the status {raw_status!r} is not one of {known} (đang hoạt động, đình chỉ, thu hồi)"
                if raw_status
                else "the status is empty"
            )
        row_list_date: dt.date | None = None
        if "list_date" in columns and _cell_text(cell("list_date")):
            try:
                row_list_date = parse_date(cell("list_date"))
            except ValueError as exc:
                problems.append(f"the list date {exc}")
        if problems:
            rejected.append(Rejected(number, "; ".join(problems)))
            continue
        assert status is not None
        seen_licences[licence.casefold()] = number
        parsed.append(_Row(number, db.EnterpriseRow(name, key, licence, licence_date, status), row_list_date))
    override = list_date is not None  # the official's date wins over the file's column
    if list_date is None:
        dates = Counter(r.list_date for r in parsed if r.list_date is not None)
        list_date = max(dates.items(), key=lambda kv: (kv[1], kv[0]))[0] if dates else None
    valid: list[db.EnterpriseRow] = []
    for r in parsed:
        if not override and r.list_date is not None and r.list_date != list_date:
            rejected.append(Rejected(r.number, f"the list date {r.list_date} differs from the list's date {list_date}"))
        elif list_date is not None and r.row.licence_date is not None and r.row.licence_date > list_date:
            rejected.append(Rejected(r.number, f"the licence date {r.row.licence_date} is after the list date"))
        else:
            valid.append(r.row)
    rejected.sort(key=lambda r: r.row)
    return valid, list_date, rejected, ignored


async def import_enterprises(
    store: Store,
    path_or_bytes: str | Path | bytes,
    filename: str | None = None,
    list_date: dt.date | None = None,
    rules: BrokerRules | None = None,
    cache: EnterpriseCache | None = None,
) -> ImportReport:
    """Check an official list file and make it the active list (nothing changes if no row is valid).

    `path_or_bytes` is a path, or the uploaded bytes with their `filename` (.csv or .xlsx).
    `list_date` overrides the file's list_date column. Give the bot's `cache` to reload at once.
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
            return ImportReport(source=filename, error=f"cannot read the file ({exc.strerror or exc})")
    report = ImportReport(source=Path(filename).name)
    try:
        table = read_table(data, filename, rules.importing)
        valid, report.list_date, report.rejected, report.ignored_columns = parse_rows(table, rules, list_date)
    except ListFileError as exc:
        report.error = str(exc)
        return report
    if not valid:
        report.error = "no valid rows"
        return report
    if report.list_date is None:
        report.error = "no list date: add a list_date (Ngày danh sách) column or give --list-date"
        return report
    report.list_id = await db.replace_list(store, report.list_date, report.source, valid)
    report.imported = len(valid)
    if cache is not None:
        cache.invalidate()
    log.info(
        "enterprise list #%s: %d rows imported, %d rejected", report.list_id, report.imported, len(report.rejected)
    )
    return report


async def load_directory(store: Store, rules: MatchingRules) -> EnterpriseDirectory:
    """The active list as the actions match against it (empty, not loaded, when none was imported)."""
    found = await db.active_list(store)
    if found is None:
        return EnterpriseDirectory.empty(rules)
    current, rows = found
    return EnterpriseDirectory(
        [Enterprise(r.name, r.licence_no, r.licence_date, r.status, current.list_date) for r in rows],
        rules,
        list_id=int(current.id),
        list_date=current.list_date,
    )


class EnterpriseCache:
    """The active list in memory; a cheap check of the active list's id at most every `refresh_seconds`."""

    def __init__(
        self,
        store: Store,
        rules: MatchingRules | None = None,
        refresh_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.rules = rules or BrokerRules.load().matching
        self.refresh_seconds = refresh_seconds
        self._clock = clock
        self._directory: EnterpriseDirectory | None = None
        self._next_check = -math.inf

    def invalidate(self) -> None:
        """Check the store on the next message (after an import in this process)."""
        self._next_check = -math.inf

    async def current(self) -> EnterpriseDirectory | None:
        """The active list (None if the store cannot say: the check is then skipped, not guessed)."""
        now = self._clock()
        if self._directory is not None and now < self._next_check:
            return self._directory
        try:
            latest = await db.active_list_id(self.store)
            if self._directory is None or latest != self._directory.list_id:
                self._directory = await load_directory(self.store, self.rules)
        except Exception as exc:  # the database is down: answer with the copy held (or without), retry later
            log.warning("could not read the enterprise list: %s", exc.__class__.__name__)
        self._next_check = now + self.refresh_seconds
        return self._directory


def directory_from(enterprises: Iterable[Enterprise], rules: MatchingRules | None = None) -> EnterpriseDirectory:
    """A directory straight from plain enterprises (tests, benchmarks)."""
    items = list(enterprises)
    return EnterpriseDirectory(items, rules or BrokerRules.load().matching, list_id=0 if items else None)
