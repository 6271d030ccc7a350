"""The handoff inbox at scale and as a team: newest first with counts and pages, filters,
"Tôi trả lời yêu cầu này", a thread of replies closed explicitly, replies that cross."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select, update

from bot.admin.models import OfficialReply
from bot.service import IncomingMessage
from bot.store.models import Handoff
from tests.admin.conftest import AdminSite, turn

ROW_LINK = re.compile(r'href="/admin/handoffs/(\d+)"')


async def open_requests(site: AdminSite, n: int, **kw: object) -> list[int]:
    """n workers each asking for an official; the handoff ids, oldest first."""
    for i in range(n):
        await site.store.record(
            turn(user=f"w{i}", outcome="handoff", topic="human", handoff_question=f"yêu cầu số {i}", **kw)
        )
    return [h.id for h in await site.store.handoffs()]


async def listed(site: AdminSite, query: str = "") -> tuple[list[int], str]:
    html = await (await site.client.get("/admin/handoffs" + query)).text()
    return [int(i) for i in ROW_LINK.findall(html)], html


async def ask(site: AdminSite, channel: str, user_ref: str, question: str) -> Handoff:
    await site.service.handle(IncomingMessage(channel=channel, user_ref=user_ref, text=f"/nguoi {question}"))
    return (await site.store.handoffs())[-1]


async def thread(site: AdminSite) -> list[OfficialReply]:
    async with site.store.sessions() as session:
        return list((await session.execute(select(OfficialReply).order_by(OfficialReply.id))).scalars())


async def test_every_open_request_is_reachable_newest_first(dashboard: AdminSite) -> None:
    await dashboard.login("viewer")
    for total in (153, 302):
        ids = await open_requests(dashboard, total - len(await dashboard.store.handoffs()))
        seen: list[int] = []
        first, html = await listed(dashboard)
        assert f'Đang chờ <span class="count">{total}</span>' in html and f"{total} yêu cầu" in html
        pages = -(-total // 50)
        assert f"trang 1/{pages}" in html
        seen += first
        for page in range(2, pages + 1):
            seen += (await listed(dashboard, f"?page={page}"))[0]
        assert seen == sorted(ids, reverse=True)  # each once, newest first
    assert (await listed(dashboard, "?page=999"))[0] == sorted(ids)[:2][::-1]  # past the end: the last page


async def test_the_inbox_filters_by_province_topic_and_waiting_time(dashboard: AdminSite) -> None:
    [old] = await open_requests(dashboard, 1, province="kien-giang")
    await dashboard.store.record(
        turn(user="new", outcome="handoff", topic="vocational", province="lao-cai", handoff_question="học nghề")
    )
    new = max(h.id for h in await dashboard.store.handoffs())
    async with dashboard.store.sessions.begin() as session:
        when = dashboard.clock.now - dt.timedelta(days=2)
        await session.execute(update(Handoff).where(Handoff.id == old).values(created_at=when))
    await dashboard.login("viewer")
    assert (await listed(dashboard, "?province=kien-giang"))[0] == [old]
    assert (await listed(dashboard, "?topic=vocational"))[0] == [new]
    assert (await listed(dashboard, "?waiting=1d"))[0] == [old]
    assert (await listed(dashboard, "?waiting=3d"))[0] == []
    assert (await listed(dashboard, "?province=nowhere&waiting=forever"))[0] == [new, old]  # ignored


async def test_an_official_takes_a_request_the_worker_is_told_and_a_second_official_sees_who(
    dashboard: AdminSite,
) -> None:
    handoff = await ask(dashboard, "telegram", "777", "chủ không trả lương")
    await dashboard.login("editor")
    page = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    assert "Tôi trả lời yêu cầu này" in page
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/take", {})
    assert "msg=taken" in res.headers["Location"]
    [notice] = dashboard.deliverer.sent
    assert notice.address == "777" and "Một cán bộ đã nhận câu hỏi của bạn" in notice.text
    assert "chủ không trả lương" in notice.text
    inbox = (await listed(dashboard, "?assigned=me"))[0]
    assert inbox == [handoff.id]
    await dashboard.logout()

    await dashboard.login("admin")
    page = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    assert "Cán bộ <b>editor</b> đang trả lời yêu cầu này" in page and "Tôi trả lời yêu cầu này" not in page
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/take", {})  # a stale page's button
    assert "msg=taken_by_other" in res.headers["Location"]
    told = await (await dashboard.client.get(res.headers["Location"])).text()
    assert "cán bộ khác nhận trước bạn" in told
    assert len(dashboard.deliverer.sent) == 1  # the worker is told once
    assert (await listed(dashboard, "?assigned=others"))[0] == [handoff.id]
    assert (await listed(dashboard, "?assigned=none"))[0] == []


async def test_a_thread_of_replies_then_an_explicit_close(dashboard: AdminSite) -> None:
    handoff = await ask(dashboard, "telegram", "888", "hợp đồng của em sai")
    await dashboard.login("editor")
    first = await dashboard.post(
        f"/admin/handoffs/{handoff.id}/reply", {"answer": "Bạn gửi ảnh hợp đồng.", "then": "open"}
    )
    assert "msg=replied_open" in first.headers["Location"]
    [still] = await dashboard.store.handoffs(status="open")
    assert still.delivery_address is not None and still.answered_at is not None and still.assigned_to == "editor"
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Điều 5 ghi sai tên.", "then": "open"})
    page = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    assert page.index("Bạn gửi ảnh hợp đồng.") < page.index("Điều 5 ghi sai tên.") and "Đóng yêu cầu<" in page
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/close", {})
    assert "msg=closed" in res.headers["Location"]
    [done] = await dashboard.store.handoffs(status="answered")
    assert done.delivery_address is None and done.closed_by == "editor"
    assert [d.address for d in dashboard.deliverer.sent] == ["888", "888"]
    assert [r.delivery for r in await thread(dashboard)] == ["sent", "sent"]


async def test_a_reply_to_a_request_closed_meanwhile_is_not_lost_silently(dashboard: AdminSite) -> None:
    handoff = await ask(dashboard, "telegram", "999", "mất hộ chiếu")
    await dashboard.login("editor")
    stale = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    seen = re.search(r'name="seen" value="(\d+)"', stale)
    assert seen
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Trả lời của editor."})
    await dashboard.logout()
    await dashboard.login("admin")  # wrote on the page loaded before editor's reply closed the request
    res = await dashboard.post(
        f"/admin/handoffs/{handoff.id}/reply", {"answer": "Trả lời của admin.", "seen": seen.group(1)}
    )
    assert res.status == 303 and "msg=reply_too_late" in res.headers["Location"]
    page = await (await dashboard.client.get(res.headers["Location"])).text()
    assert "CHƯA GỬI" in page and "Trả lời của admin." in page and "Chưa gửi: yêu cầu đã đóng" in page
    assert "đóng bởi cán bộ editor" in page
    assert len(dashboard.deliverer.sent) == 1


async def test_replies_that_cross_are_both_sent_and_the_later_writer_is_told(dashboard: AdminSite) -> None:
    handoff = await ask(dashboard, "telegram", "555", "xin visa")
    await dashboard.login("editor")
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Trả lời một.", "then": "open"})
    await dashboard.logout()
    await dashboard.login("admin")
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Trả lời hai.", "seen": "0"})
    assert "msg=replied_also" in res.headers["Location"]
    assert [d.text.endswith(t) for d, t in zip(dashboard.deliverer.sent, ("một.", "hai."), strict=True)] == [True] * 2
    assert [r.author for r in await thread(dashboard)] == ["editor", "admin"]


async def test_a_web_chat_worker_sees_the_pickup_notice(dashboard: AdminSite) -> None:
    client = dashboard.client
    await client.post("/api/chat", json={"text": "/nguoi em bị giữ lương"})
    [handoff] = await dashboard.store.handoffs()
    await dashboard.login("editor")
    await dashboard.post(f"/admin/handoffs/{handoff.id}/take", {})
    updates = await (await client.get("/api/chat/updates")).json()
    assert len(updates["messages"]) == 1 and "Một cán bộ đã nhận câu hỏi của bạn" in updates["messages"][0]["text"]


async def test_every_page_shows_how_many_requests_wait(dashboard: AdminSite) -> None:
    await open_requests(dashboard, 3)
    await dashboard.login("viewer")
    for path in ("/admin/", "/admin/inquiries", "/admin/enterprises"):
        html = await (await dashboard.client.get(path)).text()
        assert 'Gặp cán bộ <span class="count" title="3 yêu cầu đang chờ">3</span>' in html, path


async def test_the_pickup_notice_and_ma_code_tell_the_worker_who_has_it(dashboard: AdminSite) -> None:
    await dashboard.service.handle(IncomingMessage(channel="telegram", user_ref="321", text="/nguoi xin visa"))
    [handoff] = await dashboard.store.handoffs()
    assert handoff.code
    await dashboard.login("editor")
    await dashboard.post(f"/admin/handoffs/{handoff.id}/take", {})
    [notice] = dashboard.deliverer.sent
    assert "Một cán bộ đã nhận câu hỏi của bạn" in notice.text and f"Mã yêu cầu: {handoff.code}." in notice.text
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Bạn nộp hồ sơ ở Sở.", "then": "open"})
    status = await dashboard.service.handle(
        IncomingMessage(channel="telegram", user_ref="321", text=f"ma {handoff.code}")
    )
    text = status.outcome.reply.text
    assert "cán bộ đang trả lời" in text and "Bạn nộp hồ sơ ở Sở." in text and "«xin visa»" in text
