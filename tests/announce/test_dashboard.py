"""The dashboard's announcements page: preview as each channel shows it, create, schedule, cancel,
progress counts and subscribers by province."""

from __future__ import annotations

from bot.announce import store as announcements
from bot.privacy import pseudonym
from tests.admin.conftest import (
    AdminSite,
    admin_service,
    cheap_password_hashing,
    clock,
    dashboard,
    deliverer,
    knowledge_copy,
)
from tests.announce.helpers import add_subscribers
from tests.conftest import TEST_KEY

__all__ = ["admin_service", "cheap_password_hashing", "clock", "dashboard", "deliverer", "knowledge_copy"]


async def test_an_editor_previews_sends_and_follows_an_announcement(dashboard: AdminSite) -> None:
    await add_subscribers(dashboard.store, TEST_KEY, ["1", "2", "3"], province="lao-cai")
    await add_subscribers(dashboard.store, TEST_KEY, ["4"], province="kien-giang")
    await announcements.unsubscribe(dashboard.store, _user_of("3"))
    await dashboard.login("editor")
    text = "Hội chợ việc làm <Lào Cai> 20/12"
    preview = await dashboard.post(
        "/admin/announcements", {"text": text, "target": "province", "value": "lao-cai", "action": "preview"}
    )
    page = await preview.text()
    assert preview.status == 200 and page.count("Hội chợ việc làm &lt;Lào Cai&gt; 20/12") >= 3  # escaped, 3 channels
    assert "Telegram" in page and "Zalo" in page and "Web chat" in page and "/huy" in page
    sent = await dashboard.post(
        "/admin/announcements", {"text": text, "target": "province", "value": "lao-cai", "action": "send"}
    )
    assert sent.status == 303
    location = sent.headers["Location"]
    one = await (await dashboard.client.get(location.split("?")[0])).text()
    assert "Chưa gửi" in one and "Hủy thông báo" in one
    listing = await (await dashboard.client.get("/admin/announcements")).text()
    assert "Người đăng ký theo tỉnh" in listing and "<svg" in listing and "Lào Cai" in listing
    assert "Đang gửi" in listing and "0 / 2" in listing
    cancel = await dashboard.post(location.split("?")[0] + "/cancel", {}, csrf_from=location.split("?")[0])
    assert cancel.status == 303
    made = int(location.split("?")[0].rsplit("/", 1)[1])
    assert (await announcements.status(dashboard.store, made) or {})["cancelled"] == 2


async def test_bad_input_is_explained_and_viewers_cannot_send(dashboard: AdminSite) -> None:
    await dashboard.login("editor")
    empty = await dashboard.post("/admin/announcements", {"text": " ", "target": "all", "action": "send"})
    assert empty.status == 400 and "Thông báo trống" in await empty.text()
    past = await dashboard.post(
        "/admin/announcements", {"text": "x", "target": "all", "at": "2020-01-01T08:00", "action": "send"}
    )
    assert past.status == 400 and "đã qua" in await past.text()
    nowhere = await dashboard.post("/admin/announcements", {"text": "x", "target": "province", "action": "send"})
    assert nowhere.status == 400 and "Hãy chọn tỉnh" in await nowhere.text()
    scheduled = await dashboard.post(
        "/admin/announcements", {"text": "Sau", "target": "all", "at": "2099-01-01T08:00", "action": "send"}
    )
    assert scheduled.status == 303
    await dashboard.logout()
    await dashboard.login("viewer")
    page = await (await dashboard.client.get("/admin/announcements")).text()
    assert "Chờ đến giờ gửi" in page and "Viết thông báo" not in page
    assert (await dashboard.post("/admin/announcements", {"text": "x", "action": "send"})).status == 403


def _user_of(chat: str) -> str:
    return pseudonym(TEST_KEY, "telegram", chat)
