"""The handoff inbox: an editor's reply reaches the worker on their own channel and shows in the conversation."""

from __future__ import annotations

from sqlalchemy import select

from bot.admin.models import AuditEntry, OfficialReply
from bot.service import IncomingMessage
from bot.store.models import Handoff
from tests.admin.conftest import AdminSite


async def ask_for_an_official(site: AdminSite, channel: str, user_ref: str, question: str) -> Handoff:
    await site.service.handle(IncomingMessage(channel=channel, user_ref=user_ref, text=f"/nguoi {question}"))
    [handoff] = [h for h in await site.store.handoffs() if h.channel == channel]
    return handoff


async def replies(site: AdminSite) -> list[OfficialReply]:
    async with site.store.sessions() as session:
        return list((await session.execute(select(OfficialReply).order_by(OfficialReply.id))).scalars())


async def test_a_telegram_worker_gets_the_reply_on_telegram(dashboard: AdminSite) -> None:
    handoff = await ask_for_an_official(dashboard, "telegram", "987654321", "công ty giữ hộ chiếu của em")
    assert handoff.delivery_address and "987654321" not in handoff.delivery_address  # stored encrypted
    await dashboard.login("editor")
    inbox = await (await dashboard.client.get("/admin/handoffs")).text()
    assert "công ty giữ hộ chiếu của em" in inbox
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Bạn hãy đến Sở Nội vụ tỉnh."})
    assert "msg=replied" in res.headers["Location"]
    [sent] = dashboard.deliverer.sent
    assert (sent.channel, sent.address, sent.user_id) == ("telegram", "987654321", handoff.user_id)
    assert "Bạn hãy đến Sở Nội vụ tỉnh." in sent.text and "công ty giữ hộ chiếu của em" in sent.text
    [after] = await dashboard.store.handoffs(status="answered")
    assert after.answer_text == "Bạn hãy đến Sở Nội vụ tỉnh." and after.answered_at is not None
    assert after.delivery_address is None  # closed: the address goes
    page = await (await dashboard.client.get(f"/admin/inquiries/{handoff.inquiry_id}")).text()
    assert "Cán bộ editor" in page and "Bạn hãy đến Sở Nội vụ tỉnh." in page
    async with dashboard.store.sessions() as session:
        audit = (await session.execute(select(AuditEntry).where(AuditEntry.action == "reply"))).scalar_one()
    assert audit.actor == "editor" and audit.target == f"handoff:{handoff.id}" and audit.detail["delivered"] is True


async def test_a_failed_delivery_keeps_the_handoff_open(dashboard: AdminSite) -> None:
    dashboard.deliverer.ok = False
    handoff = await ask_for_an_official(dashboard, "telegram", "42", "hỏi về lương")
    await dashboard.login("editor")
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Trả lời"})
    assert "msg=reply_failed" in res.headers["Location"]
    [still_open] = await dashboard.store.handoffs(status="open")
    assert still_open.delivery_address == handoff.delivery_address
    [kept] = await replies(dashboard)
    assert kept.delivery == "failed"
    dashboard.deliverer.ok = True
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Trả lời lần hai"})
    assert [h.status for h in await dashboard.store.handoffs(status=None)] == ["answered"]


async def test_a_channel_without_a_deliverer_is_reported(dashboard: AdminSite) -> None:
    handoff = await ask_for_an_official(dashboard, "cli", "terminal-user", "hỏi cán bộ")  # no way back
    await dashboard.login("editor")
    page = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    assert "chưa được kết nối" in page
    res = await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Xin chào"})
    assert "msg=reply_failed" in res.headers["Location"]


async def test_a_web_chat_worker_sees_the_reply_on_the_next_poll(dashboard: AdminSite) -> None:
    client = dashboard.client
    await client.post("/api/chat", json={"text": "/nguoi em muốn hỏi về học nghề may"})
    assert (await (await client.get("/api/chat/updates")).json()) == {"messages": []}
    [handoff] = await dashboard.store.handoffs()
    assert handoff.channel == "web" and handoff.delivery_address is None  # the web chat needs no address
    await dashboard.login("editor")
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "Bạn đến trường trung cấp nghề."})
    updates = await (await client.get("/api/chat/updates")).json()
    assert len(updates["messages"]) == 1 and "Bạn đến trường trung cấp nghề." in updates["messages"][0]["text"]
    assert (await (await client.get("/api/chat/updates")).json()) == {"messages": []}  # shown once
    [reply] = await replies(dashboard)
    assert reply.delivered_at is not None


async def test_closing_and_deleting_erase_the_address(dashboard: AdminSite) -> None:
    first = await ask_for_an_official(dashboard, "telegram", "111", "câu một")
    await dashboard.login("editor")
    res = await dashboard.post(f"/admin/handoffs/{first.id}/close", {})
    assert "msg=closed" in res.headers["Location"]
    [closed] = await dashboard.store.handoffs(status="closed")
    assert closed.delivery_address is None
    assert (await dashboard.post(f"/admin/handoffs/{first.id}/reply", {"answer": "muộn"})).status == 303
    assert dashboard.deliverer.sent == []  # a closed handoff takes no reply
    await dashboard.service.handle(IncomingMessage(channel="zalo", user_ref="222", text="/nguoi câu hai"))
    assert len(await dashboard.store.handoffs(status="open")) == 1
    for text in ("/xoa", "có"):
        await dashboard.service.handle(IncomingMessage(channel="zalo", user_ref="222", text=text))
    assert await dashboard.store.handoffs(status="open") == []  # /xoa took the handoff and its address


async def test_viewers_cannot_reply_and_unknown_handoffs_are_404(dashboard: AdminSite) -> None:
    handoff = await ask_for_an_official(dashboard, "telegram", "5", "hỏi")
    await dashboard.login("viewer")
    page = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    assert "Gửi trả lời" not in page
    assert (await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "x"})).status == 403
    assert (await dashboard.client.get("/admin/handoffs/999")).status == 404
    answered = await (await dashboard.client.get("/admin/handoffs?status=answered")).text()
    assert "Không có yêu cầu nào" in answered
