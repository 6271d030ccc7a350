"""The unanswered queue question by question: groups by what a question is about (not by "bao
nhiêu" or "giá"), off-topic noise after the rest (or hidden), a group split — some questions
linked to an entry, others marked off-topic, the rest left in the queue."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from bot.admin.grouping import group_questions
from bot.admin.models import InquiryReview
from bot.admin.views import unanswered as unanswered_view
from tests.admin.conftest import AdminSite
from tests.admin.test_unanswered import questions, record_unanswered

EPS = ["chi phí đi EPS bao nhiêu", "chi phi di eps het bao nhieu tien"]
LICENCE = ["chi phí thi bằng lái xe bao nhiêu", "thi bang lai xe het bao nhieu"]
GOLD = ["giá vàng hôm nay", "gia vang bao nhieu"]
PEPPER = ["giá tiêu hôm nay", "gia tieu bao nhieu 1 kg"]
HEADING = re.compile(r"<h2>«([^<»]*)»")
CHECKBOX = re.compile(r'<input type="checkbox" name="ids" value="([\d,]+)" checked> ([^<]*?)(?: <span|</label>)')


def grouped(texts: list[str]) -> list[set[str]]:
    return [{q.text for q in g.questions} for g in group_questions(questions(texts))]


def test_questions_group_by_what_they_are_about_not_by_how_they_ask() -> None:
    groups = grouped([*EPS, *LICENCE, *GOLD, *PEPPER])
    assert sorted(groups, key=sorted) == sorted([set(EPS), set(LICENCE), set(GOLD), set(PEPPER)], key=sorted)


def test_weather_and_gold_prices_are_noise_and_sort_last() -> None:
    noisy = {frozenset(q.text for q in g.questions): g.noise for g in group_questions(questions([*GOLD, *EPS]))}
    assert noisy == {frozenset(GOLD): True, frozenset(EPS): False}
    [weather] = group_questions(questions(["thời tiết hà nội mai thế nào"]))
    assert weather.noise


async def test_the_page_puts_noise_last_and_can_hide_it(dashboard: AdminSite) -> None:
    await record_unanswered(dashboard, [*GOLD, *GOLD, *GOLD, *EPS])  # gold is the biggest group
    await dashboard.login("editor")
    page = await (await dashboard.client.get("/admin/unanswered")).text()
    eps, gold = HEADING.findall(page)
    assert eps in EPS and gold in GOLD
    badge = '<span class="badge">có vẻ ngoài phạm vi</span>'
    assert f"«{gold}» {badge}" in page and f"«{eps}» {badge}" not in page
    hidden = await (await dashboard.client.get("/admin/unanswered?noise=hide")).text()
    assert HEADING.findall(hidden) == [eps]
    only = await (await dashboard.client.get("/admin/unanswered?noise=only")).text()
    assert HEADING.findall(only) == [gold]


async def test_a_group_is_split_question_by_question(dashboard: AdminSite) -> None:
    mixed = [
        "lương ở hàn quốc bao nhiêu",
        "luong o han quoc bao nhieu",  # the same wording without accents: one checkbox with the first
        "lương hàn quốc có cao không",
        "làm ở hàn quốc lương mấy triệu",
    ]
    ids = await record_unanswered(dashboard, mixed)
    await dashboard.login("editor")
    page = await (await dashboard.client.get("/admin/unanswered")).text()
    assert len(HEADING.findall(page)) == 1  # one group
    boxes = {value: html.unescape(text).strip() for value, text in CHECKBOX.findall(page)}
    # one checkbox per wording (as one worker typed it), all checked at first
    assert boxes.keys() == {f"{ids[0]},{ids[1]}", str(ids[2]), str(ids[3])}
    assert boxes[f"{ids[0]},{ids[1]}"] in mixed[:2] and boxes[str(ids[2])] == mixed[2]
    boxes = {mixed[0]: f"{ids[0]},{ids[1]}", mixed[2]: str(ids[2]), mixed[3]: str(ids[3])}
    entry = "vn_di_lam_viec_nuoc_ngoai_hop_phap"
    res = await dashboard.client.post(
        "/admin/unanswered/link",
        data=[("_csrf", await dashboard.csrf()), ("ids", boxes[mixed[0]]), ("ids", boxes[mixed[3]]), ("entry", entry)],
        allow_redirects=False,
    )
    assert res.status == 303 and "msg=linked" in res.headers["Location"]
    examples = dashboard.service.kb.entries[entry].examples
    assert examples[-2:] == (mixed[0], mixed[3])  # the bot learnt those two, not the third
    left = await (await dashboard.client.get("/admin/unanswered")).text()
    assert mixed[2] in left and mixed[0] not in left and mixed[3] not in left

    res = await dashboard.post("/admin/unanswered/off-topic", {"ids": boxes[mixed[2]], "days": "30"})
    assert res.headers["Location"] == "/admin/unanswered?days=30&msg=marked_off_topic"
    async with dashboard.store.sessions() as session:
        rows = (await session.execute(select(InquiryReview))).scalars()
        reviews = {r.inquiry_id: (r.action, r.entry_id) for r in rows}
    linked = ("linked", entry)
    assert reviews == {ids[0]: linked, ids[1]: linked, ids[2]: ("off_topic", None), ids[3]: linked}
    assert "Không có câu hỏi nào chưa được xử lý" in await (await dashboard.client.get("/admin/unanswered")).text()


async def test_nothing_selected_changes_nothing(dashboard: AdminSite) -> None:
    await record_unanswered(dashboard, EPS)
    await dashboard.login("editor")
    res = await dashboard.post("/admin/unanswered/handled", {})
    assert "msg=nothing_selected" in res.headers["Location"]
    assert "EPS" in await (await dashboard.client.get("/admin/unanswered")).text()
    await dashboard.logout()
    await dashboard.login("viewer")
    assert (await dashboard.post("/admin/unanswered/off-topic", {"ids": "1"})).status == 403


async def test_the_queue_comes_a_page_at_a_time_newest_first(
    dashboard: AdminSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unanswered_view, "QUEUE_PAGE", 4)
    ids = await record_unanswered(dashboard, [*PEPPER, *EPS, *LICENCE])  # the licence questions are the newest
    await dashboard.login("editor")
    first = await (await dashboard.client.get("/admin/unanswered")).text()
    assert {*HEADING.findall(first)} <= {*LICENCE, *EPS} and len(HEADING.findall(first)) == 2
    older = re.search(r'class="older" href="/admin/unanswered\?days=90&amp;noise=last&amp;before=(\d+)"', first)
    assert older is not None and int(older.group(1)) == ids[2]
    second = await (await dashboard.client.get(f"/admin/unanswered?before={older.group(1)}")).text()
    assert HEADING.findall(second) and {*HEADING.findall(second)} <= {*PEPPER}
    assert 'class="older"' not in second and "« Câu hỏi mới nhất" in second
    # Marking the page's questions off-topic brings the editor back to the same page, now empty.
    boxes = ",".join(value for value, _text in CHECKBOX.findall(second))
    res = await dashboard.post(
        "/admin/unanswered/off-topic", {"ids": boxes, "before": older.group(1)}, csrf_from="/admin/unanswered"
    )
    assert res.status == 303 and f"before={older.group(1)}" in res.headers["Location"]
    again = await (await dashboard.client.get(res.headers["Location"])).text()
    assert "Không có câu hỏi nào chưa được xử lý" in again
    assert {*HEADING.findall(await (await dashboard.client.get("/admin/unanswered")).text())} <= {*LICENCE, *EPS}
