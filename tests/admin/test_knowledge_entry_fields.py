"""An entry's title and sources edited in the dashboard (kb check judges them), and an entry
deleted by an approver (kb check first: another entry may still point to it)."""

from __future__ import annotations

from bot.kbstore import history
from tests.admin.conftest import AdminSite
from tests.admin.test_knowledge_editor import ENTRY, PAGE, admin_service, form_of

__all__ = ["admin_service"]  # the editor's service fixture (its engine kept across edits)


async def test_an_approver_changes_an_entrys_title_and_sources(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    page = await (await dashboard.client.get(PAGE)).text()
    assert 'id="kb-title"' in page and "lc-280-2023 | II.2 Mục tiêu cụ thể" in page
    form = await form_of(dashboard)
    sources = "lc-280-2023 | II.2 Mục tiêu cụ thể (đưa người đi làm việc)\nsapxep-2025 | Sở cấp tỉnh từ 1/3/2025"
    changed = {**form, "title": "Lào Cai: chỉ tiêu đưa người đi làm việc ở nước ngoài", "sources": sources}
    res = await dashboard.post(PAGE, {**changed, "action": "publish"}, PAGE)
    assert res.status == 303 and "msg=kb_published" in res.headers["Location"]
    entry = dashboard.service.kb.entries[ENTRY]
    assert entry.title == "Lào Cai: chỉ tiêu đưa người đi làm việc ở nước ngoài"
    assert [(s.doc, s.section) for s in entry.sources] == [
        ("lc-280-2023", "II.2 Mục tiêu cụ thể (đưa người đi làm việc)"),
        ("sapxep-2025", "Sở cấp tỉnh từ 1/3/2025"),
    ]


async def test_sources_kb_check_refuses_are_explained_and_nothing_changes(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    form = await form_of(dashboard)
    bad = {**form, "title": "", "sources": "khong-co-van-ban | I.1\nlc-280-2023", "action": "publish"}
    res = await dashboard.post(PAGE, bad, PAGE)
    assert res.status == 422
    page = await res.text()
    assert "văn bản nguồn «khong-co-van-ban» không có trong danh sách văn bản." in page
    assert "nguồn «lc-280-2023» chưa ghi mục (phần) của văn bản." in page
    assert "tiêu đề cần từ 1 đến 60 ký tự." in page
    assert "khong-co-van-ban | I.1" in page  # the form keeps what the official typed
    assert len(await history(dashboard.store)) == 1


async def test_only_an_approver_deletes_and_kb_check_keeps_an_entry_others_point_to(dashboard: AdminSite) -> None:
    await dashboard.login("editor")
    assert (await dashboard.post(f"{PAGE}/delete", {}, PAGE)).status == 403
    await dashboard.logout()
    await dashboard.login("approver")
    page = await (await dashboard.client.get(PAGE)).text()
    assert 'id="kb-delete"' in page
    refused = await dashboard.post(f"{PAGE}/delete", {"why": "thử"}, PAGE)
    assert refused.status == 422
    assert f"mục liên quan «{ENTRY}» không có trong kho kiến thức." in await refused.text()
    assert ENTRY in dashboard.service.kb.entries and len(await history(dashboard.store)) == 1
