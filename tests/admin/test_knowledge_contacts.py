"""Office contacts per province, kept in the dashboard: checked, published, and added under an
answer that names the office when the worker asks where to go or which number (fictitious data)."""

from __future__ import annotations

from bot.kbstore import ensure_published, history
from bot.service import IncomingMessage
from knowledge.model import load_knowledge_files
from tests.admin.conftest import AdminSite

PAGE = "/admin/knowledge/contacts"
CONTACT = {
    "province": "lao-cai",
    "office": "Sở Nội vụ",
    "name": "Sở Nội vụ tỉnh Lào Cai (thử nghiệm)",
    "address": "Số 1 đường Thử Nghiệm",
    "phone": "0200 111 222",
    "hours": "Thứ Hai – Thứ Sáu, 7:30–17:00",
    "source": "trang thông tin thử nghiệm",
    "reviewed": "2026-12-01",
    "action": "publish",
}
WHERE = "muon di xkld thi lien he o dau"


async def ask(site: AdminSite, user: str, text: str) -> str:
    handled = await site.service.handle(IncomingMessage(channel="web", user_ref=user, text=text, province="lao-cai"))
    return handled.outcome.reply.text


async def test_a_published_contact_answers_where_to_go_and_can_be_removed(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    assert "Chưa có địa chỉ nào" in await (await dashboard.client.get(PAGE)).text()
    bad = await dashboard.post(PAGE, {**CONTACT, "phone": "gọi cho tôi", "source": ""}, PAGE)
    assert bad.status == 422
    page = await bad.text()
    assert (
        "«gọi cho tôi» không phải số điện thoại" in page and "còn thiếu nguồn (nơi bạn đọc được thông tin này)" in page
    )
    assert len(await history(dashboard.store)) == 1

    res = await dashboard.post(PAGE, CONTACT, PAGE)
    assert res.status == 303 and "msg=kb_published" in res.headers["Location"]
    _version, files = await ensure_published(dashboard.store)
    [contact] = load_knowledge_files(files).contacts
    assert contact.phone == "0200 111 222" and contact.reviewed is not None
    assert "0200 111 222" in await (await dashboard.client.get(PAGE)).text()

    answer = await ask(dashboard, "w1", WHERE)
    assert "Sở Nội vụ" in answer.split("📍")[0]  # the answer names the office: its contact follows
    assert "📍 Sở Nội vụ tỉnh Lào Cai (thử nghiệm): Số 1 đường Thử Nghiệm. Điện thoại: 0200 111 222" in answer
    plain = await ask(dashboard, "w2", "lao cai moi nam dua bao nhieu nguoi di xkld")
    assert "Sở Nội vụ" in plain and "0200 111 222" not in plain  # not asked where: no contact line

    gone = await dashboard.post(
        PAGE, {"op": "delete", "action": "publish", "province": "lao-cai", "office": "Sở Nội vụ"}, PAGE
    )
    assert "msg=kb_published" in gone.headers["Location"]
    assert "0200 111 222" not in await ask(dashboard, "w3", WHERE)


async def test_an_editor_drafts_a_contact(dashboard: AdminSite) -> None:
    await dashboard.login("editor")
    assert (await dashboard.post(PAGE, CONTACT, PAGE)).status == 403
    res = await dashboard.post(PAGE, {**CONTACT, "action": "draft"}, PAGE)
    assert "msg=kb_draft_saved" in res.headers["Location"]
    draft = await (await dashboard.client.get(res.headers["Location"].split("?")[0])).text()
    assert "Địa chỉ cơ quan sau khi xuất bản" in draft and "0200 111 222" in draft
