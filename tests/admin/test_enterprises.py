"""The enterprise list in the dashboard: admins upload it (CSV or Excel), everyone sees the imports;
possible fraud reports are a filter of the log."""

from __future__ import annotations

import io
from pathlib import Path

import aiohttp
from openpyxl import Workbook
from sqlalchemy import select

from bot.admin.models import AuditEntry
from bot.store.enterprises import active_list
from tests.admin.conftest import AdminSite, turn

DATA = Path(__file__).resolve().parents[1] / "data" / "enterprises"


async def upload(site: AdminSite, name: str, body: bytes, list_date: str = "") -> aiohttp.ClientResponse:
    form = aiohttp.FormData()
    form.add_field("_csrf", await site.csrf("/admin/enterprises"))
    form.add_field("list_date", list_date)
    form.add_field("file", body, filename=name, content_type="application/octet-stream")
    return await site.client.post("/admin/enterprises", data=form)


def big_workbook(rows: int) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["name", "licence_no", "licence_date", "status", "list_date"])
    for i in range(rows):
        sheet.append([f"Công ty TNHH Thử Nghiệm Số {i}", f"{i:04d}/GĐ-GP", "2020-01-01", "active", "2025-06-30"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_an_admin_uploads_the_list_and_it_becomes_active(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    res = await upload(dashboard, "licensed.csv", (DATA / "licensed.csv").read_bytes())
    html = await res.text()
    assert res.status == 200 and "đang được áp dụng" in html and "licensed.csv" in html
    found = await active_list(dashboard.store)
    assert found is not None and found[0].source == "licensed.csv"
    bad = await upload(dashboard, "bad-rows.csv", (DATA / "bad-rows.csv").read_bytes())
    assert "dòng không hợp lệ" in await bad.text()
    body = big_workbook(3000)
    assert len(body) > 64 * 1024  # larger than the web chat's request limit
    res = await upload(dashboard, "danh-sach.xlsx", body)
    assert res.status == 200, await res.text()
    found = await active_list(dashboard.store)
    assert found is not None and len(found[1]) == 3000
    broken = await upload(dashboard, "hong.xlsx", b"not a workbook")
    assert broken.status == 400 and "không thay đổi" in await broken.text()
    async with dashboard.store.sessions() as session:
        audited = (
            await session.execute(select(AuditEntry.target).where(AuditEntry.action == "enterprise_import"))
        ).all()
    assert [t for (t,) in audited] == ["licensed.csv", "bad-rows.csv", "danh-sach.xlsx", "hong.xlsx"]


async def test_viewers_see_the_imports_but_cannot_upload(dashboard: AdminSite) -> None:
    await dashboard.login("viewer")
    page = await (await dashboard.client.get("/admin/enterprises")).text()
    assert "Chưa nhập danh sách nào" in page and 'type="file"' not in page
    assert (await upload(dashboard, "licensed.csv", (DATA / "licensed.csv").read_bytes())).status == 403


async def test_possible_fraud_reports_are_a_filter_of_the_log(dashboard: AdminSite) -> None:
    await dashboard.store.record(turn(text="công ty lạ bắt nộp tiền cọc", warning=True, enterprise_name="Công ty Lạ"))
    await dashboard.store.record(turn(text="học nghề ở đâu"))
    await dashboard.login("viewer")
    html = await (await dashboard.client.get("/admin/inquiries?warning=yes")).text()
    assert "bắt nộp tiền cọc" in html and "học nghề ở đâu" not in html and "Dấu hiệu lừa đảo" in html
