"""Exports of the inquiry log and the monthly report, as CSV and Excel (XLSX).

Every text cell that a spreadsheet could read as a formula (it starts with = + - @, a tab or
a carriage return) is prefixed with an apostrophe, and XLSX cells are written as strings, so
nothing a worker typed runs in the officials' spreadsheet. Workers appear by a short prefix of
their keyed hash only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO, Any

from bot.admin.breakdown import Breakdown
from bot.admin.filters import LogFilter
from bot.admin.grouping import group_questions
from bot.admin.queries import Dashboard
from bot.admin.texts import Labels, local_midnight, parse_month, to_local
from bot.store.models import Inquiry
from knowledge.model import KnowledgeBase

Cell = str | int | float | None
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PSEUDONYM_CHARS = 10
MAX_XLSX_ROWS = 100_000
EXPORT_FIELDS = (
    "id",
    "time",
    "user",
    "channel",
    "province",
    "campaign",
    "topic",
    "outcome",
    "entry",
    "confidence",
    "answered",
    "handoff",
    "feedback",
    "question",
    "reply",
)


def neutralise(value: Cell) -> Cell:
    """A cell value no spreadsheet will run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def pseudonym(user_id: str) -> str:
    return user_id[:PSEUDONYM_CHARS]


@dataclass(frozen=True, slots=True)
class Table:
    """One section of a report: a sheet in Excel, a block in CSV."""

    key: str
    title: str
    columns: list[str]
    rows: list[list[Cell]]


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    tables: list[Table]


# --- writers ---------------------------------------------------------------------------------


def csv_text(rows: Iterable[Sequence[Cell]]) -> str:
    """Rows as CSV text, neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) for v in row])
    return buffer.getvalue()


CSV_BOM = "\ufeff"  # so Excel reads the Vietnamese text as UTF-8


def write_report_csv(report: Report, out: IO[str]) -> None:
    """Each table as a titled block, a blank line between blocks."""
    out.write(CSV_BOM)
    for i, table in enumerate(report.tables):
        if i:
            out.write("\r\n")
        out.write(csv_text([[table.title], table.columns, *table.rows]))


def _sheet_title(title: str, used: set[str]) -> str:
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = clean, 2
    while name in used:
        name = f"{clean[:28]} {n}"
        n += 1
    used.add(name)
    return name


def _cells(sheet: Any, row: Sequence[Cell], bold: bool = False) -> list[Any]:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cells = []
    for value in row:
        cell = WriteOnlyCell(sheet, value=neutralise(value))
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def write_xlsx(tables: Sequence[Table], out: IO[bytes]) -> None:
    """One sheet per table, header in bold and frozen."""
    from openpyxl import Workbook  # openpyxl only when a spreadsheet is written

    book = Workbook(write_only=True)
    used: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.freeze_panes = "A2"
        for index, width in enumerate(_widths(table), start=1):
            sheet.column_dimensions[_column_letter(index)].width = width
        sheet.append(_cells(sheet, table.columns, bold=True))
        for row in table.rows:
            sheet.append(_cells(sheet, row))
    book.save(out)


def _column_letter(index: int) -> str:
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _widths(table: Table) -> list[float]:
    widths = [len(str(c)) for c in table.columns]
    for row in table.rows[:200]:
        for i, value in enumerate(row):
            if i < len(widths):
                widths[i] = max(widths[i], len(str(value or "")))
    return [min(60.0, max(8.0, w + 2.0)) for w in widths]


# --- the inquiry log ---------------------------------------------------------------------------


def export_header(labels: Labels) -> list[str]:
    return [labels.of("export_columns", name) for name in EXPORT_FIELDS]


def export_row(inquiry: Inquiry, labels: Labels) -> list[Cell]:
    """One log record as an export row (worker known by a hash prefix only)."""
    return [
        inquiry.id,
        to_local(inquiry.created_at).strftime("%Y-%m-%d %H:%M:%S"),
        pseudonym(inquiry.user_id),
        labels.of("channels", inquiry.channel),
        labels.province(inquiry.province),
        inquiry.campaign or "",
        labels.topic(inquiry.topic),
        labels.of("outcomes", inquiry.outcome),
        inquiry.entry_id or "",
        round(inquiry.confidence, 3),
        labels.report("yes") if inquiry.answered else labels.report("no"),
        labels.report("yes") if inquiry.handoff else labels.report("no"),
        inquiry.feedback,
        labels.said(inquiry),
        inquiry.reply_text,
    ]


# --- the monthly report ------------------------------------------------------------------------


def _rate(b: Breakdown) -> float | None:
    return round(b.rate, 1) if b.rate is not None else None


def _hours(delta: dt.timedelta) -> float:
    return round(delta.total_seconds() / 3600, 1)


def _quantile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


@dataclass(frozen=True, slots=True)
class _Words:
    """The report's headings (labels.yaml) and names for codes."""

    labels: Labels
    kb: KnowledgeBase

    def col(self, key: str) -> str:
        return self.labels.report("columns", key)

    def sheet(self, key: str) -> str:
        return self.labels.report("sheets", key)

    def row(self, key: str) -> str:
        return self.labels.report("summary_rows", key)

    @property
    def none(self) -> str:
        return self.labels.report("none")

    def channel(self, code: str | None) -> str:
        return self.labels.of("channels", code)

    def province(self, code: str | None) -> str:
        if code is None:
            return self.labels.report("none")
        return self.kb.provinces[code].name if code in self.kb.provinces else code


MEASURES = ("inquiries", "questions", "answered", "answered_rate", "users", "feedback_up", "feedback_down")


def _measure_cells(b: Breakdown) -> list[Cell]:
    return [b.inquiries, b.questions, b.answered, _rate(b), b.users, b.up, b.down]


def _breakdown_table(key: str, words: _Words, items: list[Breakdown], name: Any, heading: str) -> Table:
    columns = [words.col(heading), *map(words.col, MEASURES)]
    return Table(key, words.sheet(key), columns, [[name(b.key), *_measure_cells(b)] for b in items])


async def monthly_report(
    board: Dashboard, kb: KnowledgeBase, labels: Labels, month: str, province: str | None, now: dt.datetime
) -> Report:
    """The report officials send upward: one month (local time), one province or all."""
    first, after = parse_month(month)
    since, until = local_midnight(first), local_midnight(after)
    where = LogFilter(start=first, end=after - dt.timedelta(days=1), province=province).conditions()
    words = _Words(labels, kb)
    total = await board.total(where)
    handoffs = await board.handoff_times(since, until, province)
    campaign_names = {c.code: c.name for c in await board.campaigns()}
    campaigns = await board.breakdown(Inquiry.campaign, where)
    days = sorted(await board.breakdown(board.day_of(), where), key=lambda b: b.key or "")
    groups = group_questions(await board.unanswered(since, until, province=province, also_reviewed=True))
    top = await board.top_entries(where)
    handoff_columns = ["status", "count", "median_hours", "p90_hours", "within_24h"]
    tables = [
        Table(
            "summary",
            words.sheet("summary"),
            [words.col("item"), words.col("value")],
            _summary(words, month, province, now, total, handoffs, await board.new_users(since, until, province)),
        ),
        _breakdown_table("topics", words, await board.breakdown(Inquiry.topic, where), labels.topic, "topic"),
        _breakdown_table(
            "provinces", words, await board.breakdown(Inquiry.province, where), words.province, "province"
        ),
        _breakdown_table("channels", words, await board.breakdown(Inquiry.channel, where), words.channel, "channel"),
        Table(
            "campaigns",
            words.sheet("campaigns"),
            [words.col("campaign"), words.col("campaign_name"), *map(words.col, MEASURES)],
            [[b.key or words.none, campaign_names.get(b.key or "", ""), *_measure_cells(b)] for b in campaigns],
        ),
        Table("handoffs", words.sheet("handoffs"), [*map(words.col, handoff_columns)], _handoff_rows(handoffs, labels)),
        _breakdown_table("days", words, days, str, "day"),
        Table(
            "top_entries",
            words.sheet("top_entries"),
            [words.col("entry"), words.col("entry_id"), words.col("count")],
            [[kb.entries[e].title if e in kb.entries else e, e, n] for e, n in top],
        ),
        Table(
            "unanswered",
            words.sheet("unanswered"),
            [words.col("example"), words.col("count"), words.col("users")],
            [[g.representative, g.size, g.users] for g in groups[:20]],
        ),
    ]
    title = labels.report("title").format(month=month) + (f" — {words.province(province)}" if province else "")
    return Report(title=title, tables=tables)


def _summary(
    words: _Words,
    month: str,
    province: str | None,
    now: dt.datetime,
    total: Breakdown,
    handoffs: list[tuple[str, dt.datetime, dt.datetime | None]],
    new_users: int,
) -> list[list[Cell]]:
    waits = [_hours(b - a) for _status, a, b in handoffs if b is not None]
    rated = total.up + total.down
    values: list[tuple[str, Cell]] = [
        ("period", month),
        ("province", words.province(province) if province else words.labels.report("province_all")),
        ("generated", to_local(now).strftime("%Y-%m-%d %H:%M")),
        ("inquiries", total.inquiries),
        ("questions", total.questions),
        ("answered", total.answered),
        ("answered_rate", _rate(total)),
        ("users", total.users),
        ("new_users", new_users),
        ("handoffs", len(handoffs)),
        ("handoffs_answered", sum(1 for h in handoffs if h[2] is not None)),  # a reply reached the worker
        ("median_hours", round(statistics.median(waits), 1) if waits else None),
        ("feedback_up", total.up),
        ("feedback_down", total.down),
        ("satisfaction", round(100 * total.up / rated, 1) if rated else None),
    ]
    return [[words.row(key), value] for key, value in values]


def _handoff_rows(handoffs: list[tuple[str, dt.datetime, dt.datetime | None]], labels: Labels) -> list[list[Cell]]:
    rows: list[list[Cell]] = []
    for status in ("open", "answered", "closed"):
        mine = [h for h in handoffs if h[0] == status]
        waits = [_hours(b - a) for _s, a, b in mine if b is not None]
        median = round(statistics.median(waits), 1) if waits else None
        within = sum(1 for w in waits if w <= 24) if waits else None
        rows.append([labels.of("handoff_status", status), len(mine), median, _quantile(waits, 0.9), within])
    return rows


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}


def report_bytes(report: Report, fmt: str) -> bytes:
    """The report as a file's bytes, XLSX or CSV."""
    if fmt == "csv":
        out = io.StringIO()
        write_report_csv(report, out)
        return out.getvalue().encode("utf-8")
    buffer = io.BytesIO()
    write_xlsx(report.tables, buffer)
    return buffer.getvalue()


def report_filename(month: str, province: str | None, fmt: str) -> str:
    return f"bao-cao-{month}" + (f"-{province}" if province else "") + f".{fmt}"
