"""The knowledge editor's test chat: an official asks a question and sees how the bot would answer
with an unpublished draft, beside the published bot, which workers keep getting until an approver
publishes."""

from __future__ import annotations

import re

from bot.kbstore import history
from tests.admin.conftest import AdminSite
from tests.admin.test_knowledge_editor import ENTRY, PAGE, QUESTION, admin_service, answer_now, form_of

__all__ = ["admin_service"]  # the editor's service fixture (its engine kept across answer edits)

DRAFT_ANSWER = re.compile(r'<p class="answer" id="try-draft-answer">(.*?)</p>', re.S)
PUBLISHED_ANSWER = re.compile(r'<p class="answer" id="try-published-answer">(.*?)</p>', re.S)


async def draft_with_new_text(site: AdminSite) -> str:
    """An editor's draft of the entry with a new sentence; the draft page's address."""
    await site.login("editor")
    form = await form_of(site)
    new_answer = form["answer"].replace("khoảng 200 người", "khoảng 200 người (theo bản nháp thử)", 1)
    res = await site.post(PAGE, {**form, "answer": new_answer, "why": "thử", "action": "draft"}, PAGE)
    assert res.status == 303
    return str(res.headers["Location"]).split("?")[0]


async def test_the_test_chat_answers_with_the_draft_while_workers_get_the_published_text(
    dashboard: AdminSite,
) -> None:
    draft_url = await draft_with_new_text(dashboard)
    versions = len(await history(dashboard.store))
    page = await (await dashboard.client.get(draft_url)).text()
    assert "Thử hỏi trợ lý với bản nháp" in page
    res = await dashboard.post(f"{draft_url}/try", {"question": QUESTION, "province": "lao-cai"}, draft_url)
    assert res.status == 200
    tried = await res.text()
    [draft_answer] = DRAFT_ANSWER.findall(tried)
    [published_answer] = PUBLISHED_ANSWER.findall(tried)
    assert "(theo bản nháp thử)" in draft_answer and "(theo bản nháp thử)" not in published_answer
    assert "khoảng 200 người" in published_answer
    # Testing publishes nothing: workers get the published text, the versions are as they were.
    assert "(theo bản nháp thử)" not in await answer_now(dashboard, "w1")
    assert len(await history(dashboard.store)) == versions
    assert "(theo bản nháp thử)" not in dashboard.service.kb.entries[ENTRY].answer


async def test_an_empty_question_is_asked_for_and_viewers_cannot_test(dashboard: AdminSite) -> None:
    draft_url = await draft_with_new_text(dashboard)
    empty = await dashboard.post(f"{draft_url}/try", {"question": "   "}, draft_url)
    assert empty.status == 400 and "Hãy nhập một câu hỏi để thử." in await empty.text()
    await dashboard.logout()
    await dashboard.login("viewer")
    assert (await dashboard.post(f"{draft_url}/try", {"question": QUESTION}, draft_url)).status == 403


async def test_a_new_example_is_learned_for_the_test_chat_only(dashboard: AdminSite) -> None:
    odd = "tàu lượn cầu vồng chở mấy chục bạn"
    await dashboard.login("editor")
    form = await form_of(dashboard)
    examples = f"{form['examples']}\n{odd}\nbao nhiêu bạn lên tàu lượn cầu vồng"
    res = await dashboard.post(PAGE, {**form, "examples": examples, "why": "thử", "action": "draft"}, PAGE)
    assert res.status == 303
    draft_url = str(res.headers["Location"]).split("?")[0]
    published_engine = dashboard.service.engine
    tried = await (await dashboard.post(f"{draft_url}/try", {"question": odd, "province": "lao-cai"}, draft_url)).text()
    [draft_answer] = DRAFT_ANSWER.findall(tried)
    [published_answer] = PUBLISHED_ANSWER.findall(tried)
    entry = dashboard.service.kb.entries[ENTRY]
    assert entry.answer.split("\n")[0][:40] in draft_answer
    assert entry.answer.split("\n")[0][:40] not in published_answer
    assert dashboard.service.engine is published_engine and odd not in dashboard.service.kb.entries[ENTRY].examples
