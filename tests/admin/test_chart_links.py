"""The overview's charts are clickable: a day's column of a topic, a dot of the answered rate, a
channel's or province's bar opens the inquiry log filtered to exactly that."""

from __future__ import annotations

import datetime as dt
import html
import re

from bot.admin.charts import bar_chart, stacked_columns
from bot.admin.texts import LOCAL_TZ
from tests.admin.conftest import AdminSite, set_created_at, turn

LINK = re.compile(r'<a href="(/admin/inquiries\?[^"]*)" class="chart-link">')
QUESTION = re.compile(r'<td data-label="Câu hỏi" class="question">([^<]*)</td>')


def test_chart_pieces_carry_their_links() -> None:
    bars = bar_chart([("Telegram", 3), ("Zalo", 1)], links=["/inquiries?channel=telegram"])
    assert [b.href for b in bars.bars] == ["/inquiries?channel=telegram", ""]
    columns = stacked_columns(["01/03"], [("A", [2]), ("B", [1])], link=lambda i, k: f"/d{i}s{k}")
    assert [r.href for r in columns.rects] == ["/d0s0", "/d0s1"]


async def test_a_click_on_a_day_or_a_bar_opens_the_log_filtered_to_it(dashboard: AdminSite) -> None:
    now = dashboard.clock.now
    yesterday = now - dt.timedelta(days=1)
    asked = [
        ("học nghề ở đâu", "vocational", "zalo", "kien-giang", now),
        ("học nghề miễn phí", "vocational", "telegram", "lao-cai", yesterday),
        ("đi hàn quốc cần gì", "work_abroad", "zalo", "lao-cai", yesterday),
    ]
    for i, (text, topic, channel, province, when) in enumerate(asked):
        inquiry = await dashboard.store.record(
            turn(user=f"w{i}", text=text, topic=topic, channel=channel, province=province)
        )
        await set_created_at(dashboard.store, inquiry, when)
    await dashboard.login("viewer")
    page = await (await dashboard.client.get("/admin/")).text()
    links = {html.unescape(href) for href in LINK.findall(page)}
    day = yesterday.astimezone(LOCAL_TZ).date().isoformat()

    async def opened(href: str) -> list[str]:
        assert href in links, sorted(links)
        log = await (await dashboard.client.get(href)).text()
        return sorted(html.unescape(q) for q in QUESTION.findall(log))

    def both(*texts: str) -> list[str]:
        return sorted(texts)

    start = (now.astimezone(LOCAL_TZ).date() - dt.timedelta(days=29)).isoformat()
    today = now.astimezone(LOCAL_TZ).date().isoformat()
    period = f"start={start}&end={today}"
    assert await opened(f"/admin/inquiries?start={day}&end={day}&topic=vocational") == ["học nghề miễn phí"]
    assert await opened(f"/admin/inquiries?start={day}&end={day}") == both("đi hàn quốc cần gì", "học nghề miễn phí")
    assert await opened(f"/admin/inquiries?{period}&channel=zalo") == both("học nghề ở đâu", "đi hàn quốc cần gì")
    assert await opened(f"/admin/inquiries?{period}&province=kien-giang") == ["học nghề ở đâu"]
