"""The knowledge editor: an editor drafts, an approver publishes (kb check first, problems in
Vietnamese), the running bot answers with the new text, history and rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.respond import Responder
from actions.types import Policy
from bot.kbstore import ensure_published, history
from bot.service import BotService, IncomingMessage
from bot.store.store import Store
from knowledge.model import KnowledgeBase, load_knowledge_files
from nlu.engine import EmbeddedEngine, EngineConfig
from tests.admin.conftest import AdminSite
from tests.conftest import TEST_KEY

ENTRY = "lc_muc_tieu_xkld"
PAGE = f"/admin/knowledge/entry/{ENTRY}"
QUESTION = "lao cai moi nam dua bao nhieu nguoi di xkld"


@pytest.fixture
async def admin_service(kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, knowledge_copy: Path) -> BotService:
    """The service, its engine rebuilt on the trained model (answer edits keep the labels)."""
    config = EngineConfig.load()
    return BotService(
        kb,
        engine,
        Responder(kb, Policy.load()),
        store,
        TEST_KEY,
        knowledge_dir=knowledge_copy,
        engine_factory=lambda new: EmbeddedEngine(new, engine.model, config),
    )


async def form_of(site: AdminSite) -> dict[str, str]:
    """The entry's form as the page shows it (the fields an official would submit unchanged)."""
    _version, files = await ensure_published(site.store)
    entry = load_knowledge_files(files).entries[ENTRY]
    return {
        "answer": entry.answer,
        "examples": "\n".join(entry.examples),
        "related": ", ".join(entry.related),
        "version": str(_version.id),
    }


async def answer_now(site: AdminSite, user: str) -> str:
    handled = await site.service.handle(
        IncomingMessage(channel="web", user_ref=user, text=QUESTION, province="lao-cai")
    )
    return handled.outcome.reply.text


async def test_an_editor_drafts_and_an_approver_publishes_to_the_running_bot(dashboard: AdminSite) -> None:
    await dashboard.login("editor")
    page = await (await dashboard.client.get(PAGE)).text()
    assert "Lưu bản nháp" in page and "Lưu và xuất bản" not in page
    form = await form_of(dashboard)
    new_answer = form["answer"].replace("khoảng 200 người", "khoảng 200 người (theo kế hoạch)", 1)
    res = await dashboard.post(PAGE, {**form, "answer": new_answer, "why": "rõ hơn", "action": "draft"}, PAGE)
    assert res.status == 303 and "msg=kb_draft_saved" in res.headers["Location"]
    draft_url = res.headers["Location"].split("?")[0]
    assert "(theo kế hoạch)" not in await answer_now(dashboard, "w1")  # a draft is not published
    refused = await dashboard.post(PAGE, {**form, "answer": new_answer, "action": "publish"}, PAGE)
    assert refused.status == 403  # an editor does not publish
    await dashboard.logout()

    await dashboard.login("approver")
    draft_page = await (await dashboard.client.get(draft_url)).text()
    assert "(theo kế hoạch)" in draft_page and "Duyệt và xuất bản" in draft_page
    res = await dashboard.post(f"{draft_url}/publish", {}, draft_url)
    assert res.status == 303 and "msg=kb_published" in res.headers["Location"]
    assert "(theo kế hoạch)" in await answer_now(dashboard, "w2")  # no restart
    latest = (await history(dashboard.store))[0]
    assert latest.author == "approver" and latest.kind == "edit" and latest.summary["changed"] == [ENTRY]
    assert dashboard.service.knowledge_version == latest.id


async def test_a_change_kb_check_refuses_is_shown_in_vietnamese_and_not_published(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    form = await form_of(dashboard)
    bad = form["answer"].replace("khoảng 200 người", "khoảng 950 người, gọi 0912 345 678", 1)
    res = await dashboard.post(PAGE, {**form, "answer": bad, "examples": "chỉ một câu", "action": "publish"}, PAGE)
    assert res.status == 422
    page = await res.text()
    assert "Chưa lưu được" in page
    assert "con số «950» trong câu trả lời không có trong văn bản nguồn" in page
    assert "số điện thoại không có trong văn bản nguồn" in page
    assert "mới có 1 câu hỏi mẫu, cần ít nhất 5" in page
    assert "gọi 0912 345 678" in page  # the form keeps what the official typed
    assert len(await history(dashboard.store)) == 1  # nothing published
    assert "950" not in await answer_now(dashboard, "w3")


async def test_history_rolls_back_and_a_stale_draft_is_refused(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    form = await form_of(dashboard)
    first = form["answer"].replace("khoảng 200 người", "khoảng 200 người (bản A)", 1)
    second = form["answer"].replace("khoảng 200 người", "khoảng 200 người (bản B)", 1)
    drafted = await dashboard.post(PAGE, {**form, "answer": second, "action": "draft"}, PAGE)
    await dashboard.post(PAGE, {**form, "answer": first, "action": "publish"}, PAGE)
    assert "(bản A)" in await answer_now(dashboard, "w4")
    stale = drafted.headers["Location"].split("?")[0]
    res = await dashboard.post(f"{stale}/publish", {}, stale)
    assert "msg=kb_stale" in res.headers["Location"]  # B was made on the version A replaced
    assert "(bản A)" in await answer_now(dashboard, "w5")

    page = await (await dashboard.client.get("/admin/knowledge/history")).text()
    assert "(đang dùng)" in page and "Quay lại bản này" in page
    seed = (await history(dashboard.store))[-1]
    res = await dashboard.post(
        "/admin/knowledge/rollback", {"version": str(seed.id), "why": "nhầm"}, "/admin/knowledge/history"
    )
    assert "msg=kb_rolled_back" in res.headers["Location"]
    assert "(bản A)" not in await answer_now(dashboard, "w6")
    assert (await history(dashboard.store))[0].restores == seed.id


async def test_viewers_read_but_do_not_edit(dashboard: AdminSite) -> None:
    await dashboard.login("viewer")
    listing = await (await dashboard.client.get("/admin/knowledge?q=lao cai muc tieu")).text()
    assert PAGE in listing
    page = await (await dashboard.client.get(PAGE)).text()
    assert "Lưu bản nháp" not in page
    form = await form_of(dashboard)
    assert (await dashboard.post(PAGE, {**form, "action": "draft"}, PAGE)).status == 403
    assert (await dashboard.post("/admin/knowledge/rollback", {"version": "1"})).status == 403
