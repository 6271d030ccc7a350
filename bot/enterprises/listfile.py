"""The official list file of licensed enterprises: read a .csv (UTF-8) or .xlsx with English or
Vietnamese headers and check every row, each rejected row with its reason (PROBLEMS codes)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actions.brokers.names import name_key
from actions.brokers.rules import STATUSES, BrokerRules, ImportRules
from bot.store import enterprises as db
from nlu.normalize import clean, normalize_uncached

COLUMNS = ("name", "licence_no", "licence_date", "status", "list_date")
REQUIRED = ("name", "licence_no", "licence_date", "status")
MAX_NAME = 300
MAX_LICENCE = 64
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_VN_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


# What can be wrong with a file or a row, in English (CLI, logs); the dashboard words each code
# in Vietnamese (bot/admin/labels.yaml, enterprise_problems) with the same values.
PROBLEMS = {
    "not_utf8": "the file is not UTF-8 text; save it as “CSV UTF-8”",
    "not_xlsx": "not a readable .xlsx workbook ({kind})",
    "too_large": "the file is larger than {max} bytes",
    "old_xls": "old .xls workbooks are not read; save the file as .xlsx or CSV UTF-8",
    "file_type": "unsupported file type {suffix!r}: use .csv or .xlsx",
    "header_lacks": "the header row (row {row}) lacks the column(s) {missing}",
    "no_header": "no header row: the file needs the columns name, licence_no, licence_date, status, list_date "
    "(or Tên doanh nghiệp, Số giấy phép, Ngày cấp, Trạng thái, Ngày danh sách)",
    "too_many_rows": "more than {max} rows",
    "no_valid_rows": "no valid rows",
    "no_list_date": "no list date: add a list_date (Ngày danh sách) column or give --list-date",
    "unreadable": "cannot read the file ({detail})",
    "no_file": "no file",
    "name_empty": "the name is empty",
    "name_long": "the name is longer than {max} characters",
    "name_legal_only": "the name {name!r} holds only legal-form words",
    "licence_empty": "the licence number is empty",
    "licence_long": "the licence number is longer than {max} characters",
    "licence_twice": "licence number {licence!r} is also on row {row}",
    "licence_date_empty": "the licence date is empty",
    "licence_date_bad": "the licence date {text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
    "licence_date_range": "the licence date {text!r} is out of range",
    "status_empty": "the status is empty",
    "status_unknown": "the status {status!r} is not one of {known} (đang hoạt động, đình chỉ, thu hồi)",
    "list_date_empty": "the list date is empty",
    "list_date_bad": "the list date {text!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)",
    "list_date_range": "the list date {text!r} is out of range",
    "list_date_differs": "the list date {date} differs from the list's date {list_date}",
    "licence_after_list": "the licence date {date} is after the list date",
}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong, as a code of PROBLEMS and the values its wording needs."""

    code: str
    values: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, code: str, **values: object) -> Problem:
        return cls(code, tuple((k, str(v)) for k, v in values.items()))

    def __str__(self) -> str:
        return PROBLEMS[self.code].format(**dict(self.values))


class ListFileError(ValueError):
    """The file cannot be read as an enterprise list at all."""

    def __init__(self, code: str, **values: object) -> None:
        self.problem = Problem.of(code, **values)
        super().__init__(str(self.problem))


class DateProblem(ValueError):
    """A date cell that is not a date: empty, bad or out of range (the code's last word)."""

    def __init__(self, kind: str, text: str = "") -> None:
        self.kind, self.text = kind, text
        super().__init__(
            {"empty": "is empty", "bad": f"{text!r} is not a date", "range": f"{text!r} is out of range"}[kind]
        )


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row left out of the import, and why (row numbers as the spreadsheet shows them)."""

    row: int
    problems: tuple[Problem, ...]

    @property
    def reason(self) -> str:
        return "; ".join(str(p) for p in self.problems)


def _fold(value: object) -> str:
    return normalize_uncached(str(value), {}).folded  # an official's file: nothing kept


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(clean(str(value)).split())


def parse_date(value: object) -> dt.date:
    """A date cell: an Excel date, YYYY-MM-DD or DD/MM/YYYY (DateProblem, a ValueError, otherwise)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _cell_text(value)
    if not text:
        raise DateProblem("empty")
    found = _ISO_DATE.match(text)
    if found:
        year, month, day = (int(g) for g in found.groups())
    else:
        vn = _VN_DATE.match(text)
        if not vn:
            raise DateProblem("bad", text)
        day, month, year = (int(g) for g in vn.groups())
    try:
        date = dt.date(year, month, day)
    except ValueError:
        raise DateProblem("bad", text) from None
    if not 1990 <= date.year <= 2100:
        raise DateProblem("range", text)
    return date


def _read_csv(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ListFileError("not_utf8") from None
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
        raise ListFileError("not_xlsx", kind=exc.__class__.__name__) from None
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
        raise ListFileError("too_large", max=rules.max_bytes)
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        return _read_csv(data)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(data, rules.max_rows)
    if suffix == ".xls":
        raise ListFileError("old_xls")
    raise ListFileError("file_type", suffix=suffix or "(none)")


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
                raise ListFileError("header_lacks", row=index + 1, missing=", ".join(missing))
            return index, columns, ignored
    raise ListFileError("no_header")


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    row: db.EnterpriseRow
    list_date: dt.date | None


def _name_problems(name: str, key: str) -> list[Problem]:
    if not name:
        return [Problem.of("name_empty")]
    if len(name) > MAX_NAME:
        return [Problem.of("name_long", max=MAX_NAME)]
    return [] if key else [Problem.of("name_legal_only", name=name)]


def _licence_problems(licence: str, seen: dict[str, int]) -> list[Problem]:
    if not licence:
        return [Problem.of("licence_empty")]
    if len(licence) > MAX_LICENCE:
        return [Problem.of("licence_long", max=MAX_LICENCE)]
    if licence.casefold() in seen:
        return [Problem.of("licence_twice", licence=licence, row=seen[licence.casefold()])]
    return []


def _date(value: object, field: str, problems: list[Problem]) -> dt.date | None:
    """The date in a cell; a problem noted (and None) if it is not one."""
    try:
        return parse_date(value)
    except DateProblem as exc:
        problems.append(Problem.of(f"{field}_{exc.kind}", text=exc.text))
        return None


def _check_row(
    cell: Callable[[str], Any], number: int, rules: BrokerRules, statuses: dict[str, str], seen: dict[str, int]
) -> _Row | Rejected:
    """One data row, checked: the enterprise it lists, or why it is left out."""
    name = _cell_text(cell("name"))
    key = name_key(name, rules.matching) if name else ""
    licence = _cell_text(cell("licence_no"))
    problems = _name_problems(name, key) + _licence_problems(licence, seen)
    licence_date = _date(cell("licence_date"), "licence_date", problems)
    raw_status = _cell_text(cell("status"))
    status = statuses.get(_fold(raw_status)) if raw_status else None
    if status is None:
        known = ", ".join(STATUSES)
        problems.append(
            Problem.of("status_unknown", status=raw_status, known=known) if raw_status else Problem.of("status_empty")
        )
    list_date = _date(cell("list_date"), "list_date", problems) if _cell_text(cell("list_date")) else None
    if problems or status is None:
        return Rejected(number, tuple(problems))
    seen[licence.casefold()] = number
    return _Row(number, db.EnterpriseRow(name, key, licence, licence_date, status), list_date)


def _settle_dates(
    parsed: list[_Row], list_date: dt.date | None
) -> tuple[list[db.EnterpriseRow], dt.date | None, list[Rejected]]:
    """The list's date (the official's, else the rows' most common) and the rows that agree with it."""
    override = list_date is not None  # the official's date wins over the file's column
    if list_date is None:
        dates = Counter(r.list_date for r in parsed if r.list_date is not None)
        list_date = max(dates.items(), key=lambda kv: (kv[1], kv[0]))[0] if dates else None
    valid: list[db.EnterpriseRow] = []
    rejected: list[Rejected] = []
    for r in parsed:
        if not override and r.list_date is not None and r.list_date != list_date:
            rejected.append(
                Rejected(r.number, (Problem.of("list_date_differs", date=r.list_date, list_date=list_date),))
            )
        elif list_date is not None and r.row.licence_date is not None and r.row.licence_date > list_date:
            rejected.append(Rejected(r.number, (Problem.of("licence_after_list", date=r.row.licence_date),)))
        else:
            valid.append(r.row)
    return valid, list_date, rejected


def parse_rows(
    rows: Sequence[Sequence[Any]], rules: BrokerRules, list_date: dt.date | None = None
) -> tuple[list[db.EnterpriseRow], dt.date | None, list[Rejected], list[str]]:
    """(valid rows, the list's date, rejected rows, ignored columns) of a table."""
    header, columns, ignored = find_header(rows, rules.importing)
    statuses = {_fold(k): v for k, v in rules.importing.statuses.items()}
    data_rows = rows[header + 1 :]
    if len(data_rows) > rules.importing.max_rows:
        raise ListFileError("too_many_rows", max=rules.importing.max_rows)
    rejected: list[Rejected] = []
    parsed: list[_Row] = []
    seen_licences: dict[str, int] = {}
    for offset, row in enumerate(data_rows):

        def cell(col: str, row: Sequence[Any] = row) -> Any:
            position = columns.get(col)
            return row[position] if position is not None and position < len(row) else None

        if all(_cell_text(v) == "" for v in row):
            continue
        checked = _check_row(cell, header + offset + 2, rules, statuses, seen_licences)
        if isinstance(checked, Rejected):
            rejected.append(checked)
        else:
            parsed.append(checked)
    valid, list_date, late = _settle_dates(parsed, list_date)
    rejected = sorted(rejected + late, key=lambda r: r.row)
    return valid, list_date, rejected, ignored
