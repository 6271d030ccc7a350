"""Exports and the monthly report: CSV and XLSX, formula-safe, workers only by pseudonym, audited."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.admin.cli import read_password
from bot.admin.models import AuditEntry
from bot.admin.queries import Dashboard
from bot.admin.reports import Report, Table, monthly_report, neutralise, report_bytes, write_report_csv
from bot.admin.texts import LOCAL_TZ, Labels
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from tests.admin.conftest import AdminSite, set_created_at, turn
from tests.cli import Done, link_models, run

INJECTIONS = ['=HYPERLINK("http://evil","x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


def uid(name: str) -> str:
    return hashlib.sha1(name.encode()).hexdigest()


@pytest.mark.parametrize("value", INJECTIONS)
def test_formula_starts_are_neutralised(value: str) -> None:
    assert neutralise(value) == "'" + value
    assert neutralise("bình thường") == "bình thường" and neutralise(-5) == -5 and neutralise(None) is None


async def seed_injections(store: Store) -> list[int]:
    ids = []
    for i, text in enumerate(INJECTIONS):
        ids.append(await store.record(turn(user=uid(f"w{i}"), text=text, reply_text="=1+1")))
    return ids


async def audit_actions(store: Store) -> list[tuple[str, str | None]]:
    async with store.sessions() as session:
        rows = (await session.execute(select(AuditEntry.action, AuditEntry.target).order_by(AuditEntry.id))).all()
    return [(a, t) for a, t in rows]


async def test_the_log_exports_as_safe_csv(dashboard: AdminSite) -> None:
    await seed_injections(dashboard.store)
    await dashboard.login("viewer")
    res = await dashboard.client.get("/admin/inquiries/export.csv?channel=telegram")
    assert res.status == 200 and "attachment" in res.headers["Content-Disposition"]
    body = (await res.read()).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body[1:])))
    assert rows[0][:3] == ["Mã", "Thời gian", "Người hỏi (bí danh)"] and len(rows) == 1 + len(INJECTIONS)
    for row in rows[1:]:
        assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)
        assert len(row[2]) == 10  # a short pseudonym
    for i in range(len(INJECTIONS)):
        assert uid(f"w{i}") not in body
    assert ("export", "inquiries") in await audit_actions(dashboard.store)


async def test_the_log_exports_as_safe_xlsx(dashboard: AdminSite) -> None:
    await seed_injections(dashboard.store)
    await dashboard.login("viewer")
    res = await dashboard.client.get("/admin/inquiries/export.xlsx")
    assert res.status == 200
    book = load_workbook(io.BytesIO(await res.read()))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert len(values) == 1 + len(INJECTIONS)
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
            if isinstance(cell.value, str):
                assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert all(len(v[2]) == 10 for v in values[1:])
    assert [a for a in await audit_actions(dashboard.store) if a[0] == "export"] == [("export", "inquiries")]


async def seed_month(store: Store) -> None:
    """March 2026 (local time): four questions in two provinces, a handoff answered in 2 hours."""
    march = dt.datetime(2026, 3, 10, 9, tzinfo=LOCAL_TZ)
    rows = [
        turn(user=uid("a"), province="lao-cai", channel="telegram", campaign=None),
        turn(
            user=uid("a"), province="lao-cai", outcome="fallback", answered=False, topic="out_of_scope", entry_id=None
        ),
        turn(
            user=uid("b"), province="kien-giang", channel="zalo", topic="employment", entry_id="kg_bao_hiem_that_nghiep"
        ),
        turn(user=uid("c"), province="kien-giang", channel="web", text="=cmd|' /C calc'!A0", topic="vocational"),
        turn(user=uid("b"), province="kien-giang", outcome="handoff", topic="human", handoff_question="hỏi cán bộ"),
    ]
    for i, rec in enumerate(rows):
        inquiry = await store.record(rec)
        await set_created_at(store, inquiry, march + dt.timedelta(hours=i))
    await store.record(turn(user=uid("d"), province="lao-cai"))  # today: outside March 2026
    async with store.sessions.begin() as session:
        from bot.store.models import Handoff

        handoff = (await session.execute(select(Handoff))).scalar_one()
        handoff.created_at = march
        handoff.status, handoff.answered_at = "answered", march + dt.timedelta(hours=2)


async def test_the_monthly_report_counts_the_month(store: Store, kb: KnowledgeBase) -> None:
    await seed_month(store)
    now = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    report = await monthly_report(Dashboard(store), kb, Labels.for_kb(kb), "2026-03", None, now)
    tables = {t.key: t for t in report.tables}
    summary = dict((row[0], row[1]) for row in tables["summary"].rows)
    assert summary["Số tin nhắn"] == 5 and summary["Số câu hỏi"] == 4 and summary["Câu hỏi được trả lời"] == 3
    assert summary["Tỷ lệ trả lời (%)"] == 75.0 and summary["Số người hỏi"] == 3
    assert summary["Yêu cầu gặp cán bộ"] == 1 and summary["Thời gian trả lời (trung vị, giờ)"] == 2.0
    provinces = {row[0]: row[1] for row in tables["provinces"].rows}
    assert provinces == {kb.provinces["kien-giang"].name: 3, kb.provinces["lao-cai"].name: 2}
    channels = {row[0]: row[1] for row in tables["channels"].rows}
    assert channels["Telegram"] == 3 and channels["Zalo"] == 1 and channels["Web chat"] == 1
    one = await monthly_report(Dashboard(store), kb, Labels.for_kb(kb), "2026-03", "lao-cai", now)
    assert dict((r[0], r[1]) for r in one.tables[0].rows)["Số tin nhắn"] == 2
    assert "Lào Cai" in one.title


async def test_report_files_are_formula_safe(store: Store, kb: KnowledgeBase) -> None:
    report = Report("t", [Table("x", "Bảng", ["a", "b"], [["=1+2", 3], ["@x", None]])])
    out = io.StringIO()
    write_report_csv(report, out)
    assert "'=1+2" in out.getvalue() and "\n=1+2" not in out.getvalue()
    book = load_workbook(io.BytesIO(report_bytes(report, "xlsx")))
    cells = [c for row in book["Bảng"].iter_rows() for c in row]
    assert [c.value for c in cells] == ["a", "b", "'=1+2", 3, "'@x", None]
    assert all(c.data_type != "f" for c in cells)


async def test_the_report_downloads_from_the_dashboard(dashboard: AdminSite) -> None:
    await seed_month(dashboard.store)
    await dashboard.login("viewer")
    page = await (await dashboard.client.get("/admin/reports")).text()
    assert "Tải báo cáo" in page
    res = await dashboard.client.get("/admin/reports/monthly?month=2026-03&format=xlsx&province=kien-giang")
    assert res.status == 200 and "bao-cao-2026-03-kien-giang.xlsx" in res.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(await res.read()))
    assert book.sheetnames[:3] == ["Tổng hợp", "Theo chủ đề", "Theo tỉnh"]
    assert (await dashboard.client.get("/admin/reports/monthly?month=2026-3&format=xlsx")).status == 400
    assert (await dashboard.client.get("/admin/reports/monthly?month=2026-03&format=pdf")).status == 400
    assert ("report", "month:2026-03") in await audit_actions(dashboard.store)


def test_the_report_command(tmp_path: Path, trained_models: Path) -> None:
    env = {"LAODONG_DATABASE_URL": f"sqlite:///{tmp_path / 'r.db'}", "LAODONG_DATA_DIR": str(tmp_path)}
    link_models(trained_models, tmp_path)

    def laodong(*args: str) -> Done:
        return run(env, *args)

    assert laodong("ask", "di xkld nhat can gi").returncode == 0
    month = dt.datetime.now(LOCAL_TZ).strftime("%Y-%m")
    out = tmp_path / "bao-cao.xlsx"
    done = laodong("report", "--month", month, "--format", "xlsx", "--output", str(out))
    assert done.returncode == 0, done.stderr
    summary = {r[0]: r[1] for r in load_workbook(out)["Tổng hợp"].iter_rows(values_only=True)}
    assert summary["Số tin nhắn"] == 1 and summary["Câu hỏi được trả lời"] == 1
    csv_out = tmp_path / "bao-cao.csv"
    done = laodong("report", "--month", month, "--province", "lao-cai", "--format", "csv", "--output", str(csv_out))
    assert done.returncode == 0 and "Theo chủ đề" in csv_out.read_text(encoding="utf-8-sig")
    bad = laodong("report", "--month", "03-2026", "--output", str(out))
    assert bad.returncode != 0 and "YYYY-MM" in bad.stderr


def test_a_password_is_never_read_from_a_pipe_without_asking() -> None:
    with pytest.raises(SystemExit, match="--password-stdin"):
        read_password(False, io.StringIO("secret\n"))
    assert read_password(True, io.StringIO("mat khau dai\nnext\n")) == "mat khau dai"


async def test_the_csv_report_downloads_from_the_dashboard(dashboard: AdminSite) -> None:
    await seed_month(dashboard.store)
    await dashboard.login("viewer")
    res = await dashboard.client.get("/admin/reports/monthly?month=2026-03&format=csv&province=kien-giang")
    assert res.status == 200, await res.text()
    assert res.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "bao-cao-2026-03-kien-giang.csv" in res.headers["Content-Disposition"]
    text = (await res.read()).decode("utf-8-sig")
    assert text.startswith("Tổng hợp") and "Kỳ báo cáo,2026-03" in text and "Kiên Giang" in text
    assert "kien-giang" not in text.replace("bao-cao-2026-03-kien-giang", "")  # the name, not the slug
