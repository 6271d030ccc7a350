"""The enterprise list in the dashboard: admins upload it (CSV or Excel), everyone sees the imports;
possible fraud reports are a filter of the log."""

from __future__ import annotations

import io
import re
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


async def confirm(site: AdminSite, html: str) -> str:
    """Press «Áp dụng danh sách này» on an upload's preview; the page it leads to."""
    found = re.search(r'action="(/admin/enterprises/\d+/confirm)"', html)
    assert found, "the preview offers to confirm"
    res = await site.post(found.group(1), {}, csrf_from="/admin/enterprises")
    assert res.status == 303 and "msg=enterprise_confirmed" in res.headers["Location"]
    return await (await site.client.get(res.headers["Location"])).text()


async def test_an_admin_uploads_the_list_and_it_becomes_active(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    res = await upload(dashboard, "licensed.csv", (DATA / "licensed.csv").read_bytes())
    preview = await res.text()
    assert res.status == 200 and "CHƯA được áp dụng" in preview and await active_list(dashboard.store) is None
    html = await confirm(dashboard, preview)
    assert res.status == 200 and "đang được áp dụng" in html and "licensed.csv" in html
    found = await active_list(dashboard.store)
    assert found is not None and found[0].source == "licensed.csv"
    bad = await upload(dashboard, "bad-rows.csv", (DATA / "bad-rows.csv").read_bytes())
    assert "dòng không hợp lệ" in await bad.text()
    body = big_workbook(3000)
    assert len(body) > 64 * 1024  # larger than the web chat's request limit
    res = await upload(dashboard, "danh-sach.xlsx", body)
    assert res.status == 200, await res.text()
    await confirm(dashboard, await res.text())
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


async def test_a_preview_gives_reasons_in_vietnamese_and_changes_nothing_until_confirmed(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    await confirm(
        dashboard, await (await upload(dashboard, "licensed.csv", (DATA / "licensed.csv").read_bytes())).text()
    )
    before = await active_list(dashboard.store)
    assert before is not None
    res = await upload(dashboard, "bad-rows.csv", (DATA / "bad-rows.csv").read_bytes())
    preview = await res.text()
    assert res.status == 200 and "CHƯA được áp dụng" in preview
    for reason in (
        "thiếu tên doanh nghiệp",
        "ngày cấp «31/02/2024» không phải ngày",
        "trạng thái «không rõ» không hợp lệ",
        "số giấy phép «001/GĐ-GP» đã có ở dòng 2",
        "thiếu số giấy phép",
        "chỉ có loại hình",
    ):
        assert reason in preview, reason
    assert "the name is empty" not in preview and "is not a date" not in preview
    # Against the active list: 001 stays, 002–004 (and the rest) go, 013 is new.
    assert re.search(r"<b>1</b><span>doanh nghiệp mới", preview)
    still = await active_list(dashboard.store)
    assert still is not None and still[0].id == before[0].id  # nothing replaced yet
    broken = await upload(dashboard, "hong.xlsx", b"not a workbook")
    assert "không đọc được tệp Excel .xlsx này" in await broken.text()
    assert "không thay đổi" in await (await dashboard.post("/admin/enterprises", {}, "/admin/enterprises")).text()


async def test_the_active_list_is_searchable_compared_with_the_previous_and_rolled_back(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    await confirm(
        dashboard, await (await upload(dashboard, "licensed.csv", (DATA / "licensed.csv").read_bytes())).text()
    )
    changed = (
        (DATA / "licensed.csv")
        .read_text(encoding="utf-8")
        .replace("001/GĐ-GP,2020-03-15,active", "001/GĐ-GP,2020-03-15,revoked")
    )
    changed = "\n".join(line for line in changed.splitlines() if "002/GĐ-GP" not in line)
    changed += "\nCông ty TNHH Mới Toanh Giả Định,099/GĐ-GP,2021-01-01,active,2025-06-30\n"
    await confirm(dashboard, await (await upload(dashboard, "moi.csv", changed.encode())).text())
    page = await (await dashboard.client.get("/admin/enterprises", params={"q": "sao mai"})).text()
    assert "Sao Mai Giả Định" in page and "Hải Đăng" not in page and "1 doanh nghiệp khớp" in page
    assert "Thu hồi" in page  # the status in words
    unaccented = await (await dashboard.client.get("/admin/enterprises", params={"q": "moi toanh"})).text()
    assert "Mới Toanh" in unaccented
    found = await active_list(dashboard.store)
    assert found is not None
    compared = await (await dashboard.client.get(f"/admin/enterprises/{found[0].id}")).text()
    for count, what in ((1, "doanh nghiệp mới"), (1, "không còn trong"), (1, "đổi trạng thái")):
        assert re.search(rf"<b>{count}</b><span>{what}", compared), what
    assert "Hải Đăng Thử Nghiệm" in compared  # the removed one, by name
    res = await dashboard.post("/admin/enterprises/rollback", {}, "/admin/enterprises")
    assert "msg=enterprise_rolled_back" in res.headers["Location"]
    back = await active_list(dashboard.store)
    assert back is not None and back[0].source == "licensed.csv"
    async with dashboard.store.sessions() as session:
        actions = [a for (a,) in (await session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).all()]
    assert actions.count("enterprise_confirm") == 2 and actions[-1] == "enterprise_rollback"
    await dashboard.logout()
    await dashboard.login("viewer")
    assert (await dashboard.post("/admin/enterprises/rollback", {}, "/admin/enterprises")).status == 403
