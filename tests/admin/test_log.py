"""The inquiry log: filters, keyset pages, conversations, the overview's counts."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

from bot.admin.daycache import DayCache
from bot.admin.filters import LogFilter
from bot.admin.overview_data import read_overview
from bot.admin.queries import Dashboard
from bot.admin.texts import LOCAL_TZ, local_midnight
from bot.store.store import Store
from nlu.normalize import fold_key
from tests.admin.conftest import AdminSite, set_created_at, turn


def worker(n: int) -> str:
    """A user id shaped like the real ones (40 hex digits of a keyed hash)."""
    return hashlib.sha1(f"worker-{n}".encode()).hexdigest()


async def seed(store: Store, n: int = 12) -> list[int]:
    """n records over n days (one a day, local noon), alternating channel, topic and outcome."""
    ids = []
    start = dt.datetime(2026, 3, 1, 12, tzinfo=LOCAL_TZ)
    for i in range(n):
        unanswered = i % 3 == 0
        ids.append(
            await store.record(
                turn(
                    user=worker(i % 4),
                    channel="zalo" if i % 2 else "telegram",
                    province="kien-giang" if i % 2 else "lao-cai",
                    topic="employment" if i % 2 else "work_abroad",
                    outcome="fallback" if unanswered else "answer",
                    answered=not unanswered,
                    text=f"câu hỏi số {i} về lương ở Nhật" if i == 5 else f"câu hỏi số {i}",
                    normalized=f"cau hoi so {i} ve luong o nhat" if i == 5 else f"cau hoi so {i}",
                )
            )
        )
        await set_created_at(store, ids[-1], start + dt.timedelta(days=i))
    return ids


async def test_keyset_pages_walk_the_whole_log_once(store: Store) -> None:
    ids = await seed(store, 12)
    board = Dashboard(store)
    seen, cursor = [], None
    while True:
        page = await board.log_page(LogFilter(), before=cursor, size=5)
        seen += [r.id for r in page.rows]
        if page.older is None:
            break
        cursor = page.older
    assert seen == sorted(ids, reverse=True)
    oldest = await board.log_page(LogFilter(), oldest=True, size=5)
    assert [r.id for r in oldest.rows] == sorted(ids)[:5][::-1] and oldest.older is None
    newer = await board.log_page(LogFilter(), after=oldest.rows[0].id, size=5)
    assert [r.id for r in newer.rows] == sorted(ids)[5:10][::-1]
    assert newer.newer == newer.rows[0].id and newer.older == newer.rows[-1].id


async def test_filters_narrow_the_log(store: Store) -> None:
    ids = await seed(store, 12)
    board = Dashboard(store)

    async def found(**kw: object) -> list[int]:
        return sorted(r.id for r in (await board.log_page(LogFilter(**kw))).rows)  # type: ignore[arg-type]

    assert await found(channel="zalo") == ids[1::2]
    assert await found(topic="work_abroad", province="lao-cai") == ids[0::2]
    assert await found(answered=False) == ids[0::3]
    assert await found(outcome="fallback", channel="zalo") == [ids[3], ids[9]]
    # Local days, inclusive: 3 March to 5 March are records 2, 3, 4.
    assert await found(start=dt.date(2026, 3, 3), end=dt.date(2026, 3, 5)) == ids[2:5]
    assert await found(start=dt.date(2027, 1, 1)) == []
    # Search is on the folded text: accents and case do not matter.
    assert await found(q="LƯƠNG ở nhật") == [ids[5]]
    assert await found(q="100%_") == []


async def test_feedback_filter(store: Store) -> None:
    first = await store.record(turn(user="a"))
    await store.record(turn(user="a", feedback_for=first, feedback=-1, outcome="feedback", topic="chitchat"))
    second = await store.record(turn(user="b"))
    await store.record(turn(user="b", feedback_for=second, feedback=1, outcome="feedback", topic="chitchat"))
    board = Dashboard(store)
    assert [r.id for r in (await board.log_page(LogFilter(feedback="down"))).rows] == [first]
    assert [r.id for r in (await board.log_page(LogFilter(feedback="up"))).rows] == [second]
    assert len((await board.log_page(LogFilter(feedback="any"))).rows) == 2


def test_filters_read_from_a_query_string_drop_what_does_not_parse() -> None:
    f = LogFilter.from_query(
        {"start": "2026-13-01", "end": "2026-03-05", "answered": "maybe", "feedback": "up", "q": " "}
    )
    assert f == LogFilter(end=dt.date(2026, 3, 5), feedback="up")
    assert f.query() == {"end": "2026-03-05", "feedback": "up"}
    assert LogFilter.from_query(LogFilter(answered=False, topic="human").query()) == LogFilter(
        answered=False, topic="human"
    )
    assert local_midnight(dt.date(2026, 3, 5)) == dt.datetime(2026, 3, 4, 17, tzinfo=dt.UTC)


async def test_the_log_page_filters_pages_and_opens_conversations(dashboard: AdminSite) -> None:
    ids = await seed(dashboard.store, 60)
    await dashboard.login("viewer")
    html = await (await dashboard.client.get("/admin/inquiries?channel=zalo")).text()
    assert "câu hỏi số 59" in html and "câu hỏi số 58" not in html
    assert "Cũ hơn" not in html  # 30 zalo records fit one page
    everything = await (await dashboard.client.get("/admin/inquiries")).text()
    assert "câu hỏi số 10" in everything and "câu hỏi số 9<" not in everything and "Cũ hơn" in everything
    older = await (await dashboard.client.get(f"/admin/inquiries?before={ids[10]}")).text()
    assert "câu hỏi số 9" in older and "Mới hơn" in older
    convo = await dashboard.client.get(f"/admin/inquiries/{ids[4]}")
    text = await convo.text()
    # user0 asked questions 0, 4, 8 …: the whole conversation, in order, the opened one marked.
    assert text.index("câu hỏi số 0<") < text.index("câu hỏi số 4<") < text.index("câu hỏi số 8<")
    assert f'id="q{ids[4]}"' in text and "focus" in text
    assert worker(0) not in text and worker(0)[:8] in text  # the pseudonym, by its first characters only


async def test_the_overview_counts_and_charts(dashboard: AdminSite) -> None:
    await seed(dashboard.store, 12)
    board = Dashboard(dashboard.store)
    days = [dt.date(2026, 3, 1) + dt.timedelta(days=i) for i in range(12)]
    data = await read_overview(board, LogFilter(start=days[0], end=days[-1]), days)
    assert data.total.inquiries == 12 and data.total.questions == 12 and data.total.answered == 8
    assert data.total.users == 4
    assert {b.key: b.inquiries for b in data.by_channel} == {"telegram": 6, "zalo": 6}
    assert data.by_day["2026-03-01"].answered == 0 and data.by_day["2026-03-02"].answered == 1
    assert data.topic_by_day["employment"] == {d.isoformat(): 1 for d in days[1::2]}
    assert data.top_entries == [("vn_di_lam_viec_nuoc_ngoai_hop_phap", 8)]
    await dashboard.login("viewer")
    res = await dashboard.client.get("/admin/?start=2026-03-01&end=2026-03-12")
    html = await res.text()
    assert res.status == 200 and html.count("<svg") >= 7
    assert "Việc làm trong nước" in html and "67%" in html  # 8 of 12 answered


async def test_officials_read_words_not_codes(dashboard: AdminSite) -> None:
    await dashboard.store.record(turn(text="công ty bắt đóng tiền cọc", outcome="warning", warning=True))
    await dashboard.store.record(turn(text="công ty ABC có phép không", outcome="enterprise", province="kien-giang"))
    await dashboard.login("viewer")
    html = await (await dashboard.client.get("/admin/inquiries")).text()
    assert "Cảnh báo lừa đảo" in html and "Tra cứu doanh nghiệp" in html
    assert "Lào Cai" in html and "Kiên Giang" in html
    for code in (">warning<", ">enterprise<", ">lao-cai<", ">kien-giang<"):
        assert code not in html


async def test_search_finds_all_words_in_any_order_with_or_without_accents(dashboard: AdminSite) -> None:
    store = dashboard.store
    for text in ("Lương bên Nhật khoảng bao nhiêu?", "Nhật có lương cao không", "lương ở Hàn Quốc", "đi Nhật"):
        await store.record(turn(text=text, normalized=fold_key(text)))
    await dashboard.login("viewer")
    page = await (await dashboard.client.get("/admin/inquiries")).text()
    example = re.search(r'placeholder="vd: ([^"]+)"', page)
    assert example, "the search box shows an example"
    for q in (example.group(1), "luong nhat", "NHẬT, lương"):
        html = await (await dashboard.client.get("/admin/inquiries", params={"q": q})).text()
        assert "Lương bên Nhật khoảng bao nhiêu?" in html and "Nhật có lương cao không" in html, q
        assert "lương ở Hàn Quốc" not in html and "đi Nhật<" not in html, q
    assert LogFilter(q="!, ?").conditions() == []  # nothing searchable: no condition


async def test_button_presses_show_what_the_button_chose(dashboard: AdminSite) -> None:
    pressed = {"message_kind": "button", "text": "", "normalized": ""}
    await dashboard.store.record(turn(**pressed, outcome="province", topic="chitchat", entry_id=None))
    await dashboard.store.record(turn(**pressed, outcome="topic_menu", topic="vocational", entry_id=None))
    await dashboard.store.record(turn(**pressed))  # a related entry's button: the entry answered
    await dashboard.login("viewer")
    html = await (await dashboard.client.get("/admin/inquiries")).text()
    assert "[nút] Lào Cai" in html and "[nút] Học nghề" in html
    assert "[nút] Đi làm việc ở nước ngoài hợp pháp" in html
    assert 'class="question"></td>' not in html  # no empty question cells


async def test_the_questions_chart_counts_questions_and_the_warnings_chart_shows_scams(dashboard: AdminSite) -> None:
    store = dashboard.store
    day = dt.datetime(2026, 3, 3, 12, tzinfo=LOCAL_TZ)
    records = [
        turn(text="xin chào", outcome="menu", topic="chitchat", entry_id=None),
        turn(text="/start", outcome="menu", topic="chitchat", entry_id=None),
        turn(message_kind="button", text="", outcome="answer"),  # a button press, not a question
        turn(text="đi Nhật cần gì"),
        turn(text="công ty đòi cọc 50 triệu", outcome="warning", warning=True),
    ]
    for record in records:
        await set_created_at(store, await store.record(record), day)
    board = Dashboard(store)
    data = await read_overview(board, LogFilter(start=day.date(), end=day.date()), [day.date()])
    assert data.topic_by_day == {"work_abroad": {"2026-03-03": 2}}  # the two typed questions
    assert data.warnings_by_day == {"2026-03-03": 1}
    await dashboard.login("viewer")
    html = await (await dashboard.client.get("/admin/?start=2026-03-03&end=2026-03-03")).text()
    assert "không đếm lời chào" in html and "Tin nhắn có dấu hiệu lừa đảo mỗi ngày" in html
    assert "03/03 · Tin có dấu hiệu lừa đảo: 1" in html
    assert "03/03 · Đi làm việc ở nước ngoài: 2" in html


async def test_finished_days_come_from_the_day_cache_and_today_stays_live(store: Store) -> None:
    now = [0.0]
    days_cache = DayCache(ttl_seconds=600, clock=lambda: now[0])
    board = Dashboard(store, days=days_cache)
    yesterday, today = dt.date(2026, 3, 2), dt.date(2026, 3, 3)
    for day in (yesterday, today):
        await set_created_at(store, await store.record(turn()), dt.datetime.combine(day, dt.time(12), LOCAL_TZ))
    f, span = LogFilter(start=yesterday, end=today), [yesterday, today]
    first = await read_overview(board, f, span, today=today)
    assert first.topic_by_day == {"work_abroad": {"2026-03-02": 1, "2026-03-03": 1}} and first.total.users == 1
    for day in (yesterday, today):  # one more question on each day
        at = dt.datetime.combine(day, dt.time(13), LOCAL_TZ)
        await set_created_at(store, await store.record(turn(user="u2")), at)
    second = await read_overview(board, f, span, today=today)
    assert second.topic_by_day == {"work_abroad": {"2026-03-02": 1, "2026-03-03": 2}}  # yesterday as cached
    assert second.total.users == 2  # askers are always counted live
    assert (await read_overview(Dashboard(store), f, span, today=today)).topic_by_day["work_abroad"]["2026-03-02"] == 2
    now[0] = 601  # the cached day expires
    third = await read_overview(board, f, span, today=today)
    assert third.topic_by_day == {"work_abroad": {"2026-03-02": 2, "2026-03-03": 2}}
    assert third.by_day["2026-03-02"].questions == 2 and third.top_entries == [
        ("vn_di_lam_viec_nuoc_ngoai_hop_phap", 4)
    ]
