"""Campaigns in the dashboard: create one, its links and QR code, its funnel."""

from __future__ import annotations

from bot.admin.campaigns.funnels import read_funnels
from bot.appkeys import SETTINGS
from bot.campaigns import CLICK
from tests.admin.conftest import AdminSite, turn


async def test_an_admin_creates_a_campaign_and_follows_its_funnel(dashboard: AdminSite) -> None:
    await dashboard.login("admin")
    bad = await dashboard.post("/admin/campaigns", {"code": "hội chợ", "name": "Hội chợ"})
    assert bad.status == 400 and "chữ cái không dấu" in await bad.text()
    res = await dashboard.post(
        "/admin/campaigns", {"code": "hoi-cho-3", "name": "Hội chợ việc làm tháng 3", "province": "lao-cai"}
    )
    assert res.status == 303 and res.headers["Location"].startswith("/admin/campaigns/hoi-cho-3")
    taken = await dashboard.post("/admin/campaigns", {"code": "HOI-CHO-3", "name": "Lần hai"})
    assert taken.status == 400 and "Đã có chiến dịch" in await taken.text()
    store = dashboard.store
    for _ in range(3):
        await store.campaign_event("hoi-cho-3", CLICK, "web")
    await store.record(turn(user="a", campaign="hoi-cho-3", topic="chitchat", outcome="menu", entry_id=None))
    await store.record(turn(user="a", campaign="hoi-cho-3"))
    await store.record(turn(user="b", campaign="hoi-cho-3", outcome="fallback", answered=False))
    await store.record(turn(user="b", campaign="hoi-cho-3", handoff_question="gặp cán bộ", topic="human"))
    [funnel] = await read_funnels(store, "hoi-cho-3")
    assert (funnel.clicks, funnel.starts, funnel.askers, funnel.answered_users, funnel.handoff_users) == (3, 2, 2, 1, 1)
    assert (funnel.questions, funnel.answered, funnel.handoffs) == (2, 1, 1)
    page = await (await dashboard.client.get("/admin/campaigns/hoi-cho-3")).text()
    assert "/c/hoi-cho-3" in page and "Lượt mở đường dẫn" in page and "LAODONG_TELEGRAM_BOT_USERNAME" in page
    qr = await dashboard.client.get("/admin/campaigns/hoi-cho-3/qr.svg")
    assert qr.status == 200 and qr.content_type == "image/svg+xml" and b"<svg" in await qr.read()
    listing = await (await dashboard.client.get("/admin/campaigns")).text()
    assert "Hội chợ việc làm tháng 3" in listing
    assert (await dashboard.client.get("/admin/campaigns/nope")).status == 404


async def test_editors_and_viewers_see_campaigns_but_cannot_add_them(dashboard: AdminSite) -> None:
    await dashboard.login("editor")
    page = await (await dashboard.client.get("/admin/campaigns")).text()
    assert "Tạo chiến dịch" not in page
    assert (await dashboard.post("/admin/campaigns", {"code": "abc", "name": "X"})).status == 403


async def test_campaign_links_never_come_from_the_host_header(dashboard: AdminSite) -> None:
    """A forged Host must not end up on a poster's QR code: links use the configured address."""
    await dashboard.login("admin")
    await dashboard.post("/admin/campaigns", {"code": "poster-1", "name": "Áp phích"})
    forged = {"Host": "evil.example"}
    page = await (await dashboard.client.get("/admin/campaigns/poster-1", headers=forged)).text()
    assert "evil.example" not in page
    settings = dashboard.client.app[SETTINGS]
    assert f"{settings.public_root()}/c/poster-1" in page
