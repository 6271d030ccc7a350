"""An approver deletes an entry nothing points to: a new published version (history keeps who,
when and why), the running bot drops it at once (its engine retrained off the event loop)."""

from __future__ import annotations

from bot.kbstore import history
from tests.admin.conftest import AdminSite

LONELY = "kg_nghe_cong_tac_xa_hoi_de_an"  # no other entry lists it as related


async def test_an_approver_deletes_an_entry_and_the_bot_drops_it_at_once(dashboard: AdminSite) -> None:
    await dashboard.login("approver")
    lonely = f"/admin/knowledge/entry/{LONELY}"
    res = await dashboard.post(f"{lonely}/delete", {"why": "đề án đã kết thúc"}, lonely)
    assert res.status == 303 and "msg=kb_deleted" in res.headers["Location"]
    assert LONELY not in dashboard.service.kb.entries  # this process serves it at once
    assert (await dashboard.client.get(lonely)).status == 404
    versions = await history(dashboard.store)
    latest = versions[0]
    assert len(versions) == 2 and latest.why == "đề án đã kết thúc" and latest.author == "approver"
