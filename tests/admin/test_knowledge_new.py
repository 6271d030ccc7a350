"""A new entry from the dashboard, its source a document an official registers by pasting its text:
kb check holds its figures to that text; once published the bot answers with it and cites it."""

from __future__ import annotations

from bot.kbstore import ensure_published, history
from bot.service import IncomingMessage
from knowledge.model import load_knowledge_files
from tests.admin.conftest import AdminSite

PLAN = (
    "KẾ HOẠCH\nHỗ trợ học nghề cho lao động nông thôn năm 2026\n\n"
    "II. MỤC TIÊU\n1. Mỗi năm hỗ trợ học nghề cho khoảng 350 lao động nông thôn của tỉnh.\n"
)
ANSWER = (
    "Kế hoạch năm 2026 của tỉnh Lào Cai hỗ trợ học nghề cho khoảng 350 lao động nông thôn mỗi năm.\n\n"
    "Muốn đăng ký, bạn hỏi Ủy ban nhân dân xã nơi bạn ở."
)
EXAMPLES = "\n".join(
    [
        "lào cai hỗ trợ học nghề nông thôn 2026 bao nhiêu người",
        "lao cai ho tro hoc nghe nong thon 2026",
        "kế hoạch 12/KH-UBND học nghề nông thôn",
        "hoc nghe nong thon lc 2026 dc ho tro ko",
        "năm 2026 lào cai cho bao nhiêu lao động nông thôn học nghề",
    ]
)


def new_entry(**changes: str) -> dict[str, str]:
    form = {
        "id": "lc_hoc_nghe_nong_thon_2026",
        "title": "Lào Cai: hỗ trợ học nghề nông thôn năm 2026",
        "topic": "vocational",
        "scope": "lao-cai",
        "answer": ANSWER,
        "examples": EXAMPLES,
        "related": "",
        "doc": "_new",
        "section": "II.1 Mục tiêu",
        "new_document": "Kế hoạch số 12/KH-UBND",
        "new_title": "Kế hoạch hỗ trợ học nghề cho lao động nông thôn năm 2026",
        "new_issuer": "UBND tỉnh Lào Cai",
        "new_date": "2026-01-15",
        "new_text": PLAN,
        "why": "kế hoạch mới",
        "action": "publish",
    }
    return {**form, **changes}


async def test_an_entry_with_a_pasted_document_is_checked_published_and_answered(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    page = await (await dashboard.client.get("/admin/knowledge/new")).text()
    assert "Văn bản mới" in page
    wrong = await dashboard.post(
        "/admin/knowledge/new", new_entry(answer=ANSWER.replace("350", "530")), "/admin/knowledge/new"
    )
    assert wrong.status == 422
    assert "con số «530» trong câu trả lời không có trong văn bản nguồn" in await wrong.text()
    missing = await dashboard.post("/admin/knowledge/new", new_entry(new_issuer=""), "/admin/knowledge/new")
    assert missing.status == 422 and "còn thiếu cơ quan ban hành" in await missing.text()
    assert len(await history(dashboard.store)) == 1

    res = await dashboard.post("/admin/knowledge/new", new_entry(), "/admin/knowledge/new")
    assert res.status == 303 and "msg=kb_published" in res.headers["Location"]
    _version, files = await ensure_published(dashboard.store)
    assert files["sources/ke-hoach-so-12-kh-ubnd-2026.txt"] == PLAN
    kb = load_knowledge_files(files)
    assert (
        kb.documents["ke-hoach-so-12-kh-ubnd-2026"].cite
        == "Theo Kế hoạch số 12/KH-UBND ngày 15/1/2026 của UBND tỉnh Lào Cai"
    )
    handled = await dashboard.service.handle(
        IncomingMessage(channel="web", user_ref="w1", text="lao cai ho tro hoc nghe nong thon 2026", province="lao-cai")
    )
    assert handled.outcome.entry == "lc_hoc_nghe_nong_thon_2026"
    assert "khoảng 350 lao động nông thôn" in handled.outcome.reply.text
    assert "Kế hoạch số 12/KH-UBND ngày 15/1/2026" in handled.outcome.reply.text
    again = await dashboard.post("/admin/knowledge/new", new_entry(), "/admin/knowledge/new")
    assert again.status == 422 and "Đã có mục mã lc_hoc_nghe_nong_thon_2026" in await again.text()


async def test_an_editor_drafts_a_new_entry_for_an_approver(dashboard: AdminSite) -> None:
    await dashboard.login("editor")
    form = new_entry(action="publish")
    assert (await dashboard.post("/admin/knowledge/new", form, "/admin/knowledge/new")).status == 403
    res = await dashboard.post("/admin/knowledge/new", new_entry(action="draft"), "/admin/knowledge/new")
    assert res.status == 303 and "msg=kb_draft_saved" in res.headers["Location"]
    assert len(await history(dashboard.store)) == 1  # a draft only
    draft = await (await dashboard.client.get(res.headers["Location"].split("?")[0])).text()
    assert "lc_hoc_nghe_nong_thon_2026" in draft and "Duyệt và xuất bản" not in draft
