"""Whatever a worker typed is shown as text on every page (script and HTML payloads)."""

from __future__ import annotations

import re

import pytest

from bot.store.models import Campaign
from tests.admin.conftest import AdminSite, turn

PAYLOADS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(2)>",
    "</textarea><iframe src=javascript:alert(3)>",
    "{{ 7*7 }} {% raw %} <b>",
]


def assert_escaped(html: str, payload: str) -> None:
    assert payload not in html, f"raw payload on the page: {payload!r}"
    assert "<script>alert" not in html and "onerror=alert(1)>" not in html
    assert "<svg/onload" not in html and "<iframe" not in html


@pytest.mark.parametrize("payload", PAYLOADS)
async def test_worker_text_is_escaped_on_every_page(dashboard: AdminSite, payload: str) -> None:
    store = dashboard.store
    answered = await store.record(turn(text=payload, normalized=payload, reply_text=f"bot says {payload}"))
    await store.record(turn(user="u2", text=payload, normalized="cau hoi la", outcome="fallback", answered=False))
    await store.record(turn(user="u3", text="giup", handoff_question=payload, outcome="handoff", topic="human"))
    async with store.sessions.begin() as session:
        session.add(Campaign(code="c1", name=payload, province=None))
    await store.record(turn(user="u4", campaign="c1", province=payload[:32]))
    await dashboard.login("admin")
    [handoff] = await store.handoffs()
    pages = [
        "/admin/",
        "/admin/inquiries",
        f"/admin/inquiries?q={payload}",
        f"/admin/inquiries/{answered}",
        "/admin/unanswered",
        "/admin/handoffs",
        f"/admin/handoffs/{handoff.id}",
        "/admin/campaigns",
        "/admin/campaigns/c1",
    ]
    for path in pages:
        res = await dashboard.client.get(path)
        assert res.status == 200, path
        html = await res.text()
        assert_escaped(html, payload)
    log = await (await dashboard.client.get("/admin/inquiries")).text()
    assert "&lt;" in log  # shown, as text
    if "{{" in payload:
        assert "{{ 7*7 }} {% raw %}" in log  # not evaluated as a template


async def test_pages_carry_no_inline_script_or_style(dashboard: AdminSite) -> None:
    await dashboard.store.record(turn())
    await dashboard.login("admin")
    for path in ("/admin/", "/admin/inquiries", "/admin/unanswered", "/admin/handoffs", "/admin/users"):
        html = await (await dashboard.client.get(path)).text()
        assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [], path
        assert "style=" not in html and "<style" not in html, path
        assert " on" + "click=" not in html


async def test_an_officials_reply_is_escaped_too(dashboard: AdminSite) -> None:
    await dashboard.store.record(turn(handoff_question="can gap can bo", outcome="handoff", topic="human"))
    [handoff] = await dashboard.store.handoffs()
    await dashboard.login("editor")
    await dashboard.post(f"/admin/handoffs/{handoff.id}/reply", {"answer": "<b>Đến</b> <script>x()</script>"})
    html = await (await dashboard.client.get(f"/admin/handoffs/{handoff.id}")).text()
    assert "<script>x()" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
