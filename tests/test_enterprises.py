"""The licensed-enterprise check: import (CSV, Vietnamese headers, .xlsx), atomic replace, matching, replies.

Store tests run on SQLite and on the real PostgreSQL server. The fixture lists under
tests/data/enterprises/ hold fictitious names only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import unicodedata
from pathlib import Path

import pytest
import yaml
from openpyxl import Workbook
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError

from actions.brokers.directory import EnterpriseDirectory
from actions.brokers.listing import Enterprise, look_up
from actions.brokers.names import name_key
from actions.brokers.rules import BrokerRules
from bot.enterprises import EnterpriseCache, directory_from, import_enterprises, load_directory, parse_date
from bot.service import BotService, IncomingMessage
from bot.store import enterprises as db
from bot.store.models import EnterpriseList
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from nlu.normalize import normalize
from tests.test_cli import laodong

ROOT = Path(__file__).resolve().parents[1]
LISTS = Path(__file__).resolve().parent / "data" / "enterprises"
LICENSED = LISTS / "licensed.csv"


@pytest.fixture(scope="module")
def rules() -> BrokerRules:
    return BrokerRules.load()


@pytest.fixture(scope="module")
def directory(rules: BrokerRules) -> EnterpriseDirectory:
    from bot.enterprises import parse_rows, read_table

    rows, list_date, rejected, _ = parse_rows(read_table(LICENSED.read_bytes(), "licensed.csv", rules.importing), rules)
    assert not rejected and list_date is not None
    return directory_from(
        (Enterprise(r.name, r.licence_no, r.licence_date, r.status, list_date) for r in rows), rules.matching
    )


def xlsx_bytes(tmp_path: Path, rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    path = tmp_path / "list.xlsx"
    book.save(path)
    return path.read_bytes()


async def active_names(store: Store) -> list[str]:
    found = await db.active_list(store)
    return [] if found is None else [r.name for r in found[1]]


# --- import -------------------------------------------------------------------------------


async def test_import_a_csv_list(any_store: Store) -> None:
    report = await import_enterprises(any_store, LICENSED)
    assert report.ok and report.imported == 8 and report.rejected == []
    assert report.list_date == dt.date(2025, 6, 30) and report.source == "licensed.csv"
    found = await db.active_list(any_store)
    assert found is not None
    current, rows = found
    assert (current.row_count, current.active, current.source) == (8, True, "licensed.csv")
    sao_mai = next(r for r in rows if r.licence_no == "001/GĐ-GP")
    assert (sao_mai.licence_date, sao_mai.status) == (dt.date(2020, 3, 15), "active")
    assert sao_mai.name_key == "nhan luc sao mai gia dinh"


async def test_import_vietnamese_headers_semicolons_bom_and_day_first_dates(any_store: Store) -> None:
    report = await import_enterprises(any_store, LISTS / "vietnamese-headers.csv")
    assert report.ok and report.imported == 3, report.lines()
    assert report.list_date == dt.date(2025, 9, 1)
    assert report.ignored_columns == ["STT", "Địa chỉ"]
    statuses = {r.licence_no: (r.status, r.licence_date) for r in (await db.active_list(any_store) or (None, []))[1]}
    assert statuses == {
        "001/GĐ-GP": ("active", dt.date(2020, 3, 15)),
        "002/GĐ-GP": ("revoked", dt.date(2019, 11, 2)),
        "003/GĐ-GP": ("suspended", dt.date(2018, 7, 20)),
    }


async def test_import_an_xlsx_list_under_a_title_row(any_store: Store, tmp_path: Path) -> None:
    data = xlsx_bytes(
        tmp_path,
        [
            ["DANH SÁCH DOANH NGHIỆP ĐƯỢC CẤP GIẤY PHÉP (giả định, dùng để kiểm thử)"],
            [],
            ["Tên doanh nghiệp", "Số giấy phép", "Ngày cấp", "Trạng thái", "Ngày danh sách"],
            [
                "Công ty TNHH Nhân lực Sao Mai Giả Định",
                "001/GĐ-GP",
                dt.datetime(2020, 3, 15),
                "Đang hoạt động",
                "30/06/2025",
            ],
            ["Công ty CP Hợp tác Quốc tế Hoa Sen Hư Cấu", 4, "09/01/2017", "thu hồi", dt.date(2025, 6, 30)],
            ["Công ty TNHH Ngày Sai Giả Định", "009/GĐ-GP", "2020-13-01", "đang hoạt động", "30/06/2025"],
        ],
    )
    report = await import_enterprises(any_store, data, "danh-sach.xlsx")
    assert report.imported == 2 and report.list_date == dt.date(2025, 6, 30)
    assert [(r.row, r.reason) for r in report.rejected] == [
        (6, "the licence date '2020-13-01' is not a date (YYYY-MM-DD or DD/MM/YYYY)")
    ]
    found = await db.active_list(any_store)
    assert found is not None
    assert {(r.licence_no, r.status) for r in found[1]} == {("001/GĐ-GP", "active"), ("4", "revoked")}


async def test_bad_rows_are_reported_with_their_row_and_reason(any_store: Store) -> None:
    report = await import_enterprises(any_store, LISTS / "bad-rows.csv")
    assert report.ok and report.imported == 2
    reasons = {r.row: r.reason for r in report.rejected}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert reasons[3] == "the name is empty"
    assert "'31/02/2024' is not a date" in reasons[4]
    assert "'không rõ' is not one of active, suspended, revoked" in reasons[5]
    assert reasons[6] == "licence number '001/GĐ-GP' is also on row 2"
    assert reasons[7] == "the licence number is empty"
    assert "only legal-form words" in reasons[8]
    assert "row 4:" in "\n".join(report.lines())


async def test_an_import_with_no_valid_row_changes_nothing(any_store: Store) -> None:
    first = await import_enterprises(any_store, LICENSED)
    report = await import_enterprises(any_store, LISTS / "no-valid-rows.csv")
    assert not report.ok and report.error == "no valid rows" and len(report.rejected) == 2
    assert "the current list is unchanged" in report.lines()[0]
    assert await db.active_list_id(any_store) == first.list_id
    assert len(await db.enterprise_lists(any_store)) == 1


@pytest.mark.parametrize(
    ("content", "filename", "error"),
    [
        (b"ten,so\nA,1\n", "x.csv", "no header row"),
        (b"name,licence_no\nA,1\n", "x.csv", "lacks the column(s) licence_date, status"),
        ("name,licence_no,licence_date,status\nCông ty A,1,2020-01-01,active\n".encode("cp1258"), "x.csv", "not UTF-8"),
        (b"\xd0\xcf\x11\xe0", "x.xls", "old .xls workbooks"),
        (b"PK\x03\x04 not really", "x.xlsx", "not a readable .xlsx"),
        (b"whatever", "x.pdf", "unsupported file type"),
        (b"name,licence_no,licence_date,status\nCong ty A,1,2020-01-01,active\n", "x.csv", "no list date"),
    ],
)
async def test_unreadable_files_are_refused_with_a_reason(
    any_store: Store, content: bytes, filename: str, error: str
) -> None:
    report = await import_enterprises(any_store, content, filename)
    assert not report.ok and report.error is not None and error in report.error
    assert await db.active_list_id(any_store) is None


async def test_the_official_can_give_the_list_date(any_store: Store) -> None:
    report = await import_enterprises(any_store, LISTS / "vietnamese-headers.csv", list_date=dt.date(2025, 10, 1))
    assert report.ok and report.list_date == dt.date(2025, 10, 1) and report.imported == 3


async def test_a_re_import_replaces_the_list_and_keeps_one_active(any_store: Store) -> None:
    old = await import_enterprises(any_store, LICENSED)
    new = await import_enterprises(any_store, LISTS / "vietnamese-headers.csv")
    assert new.list_id is not None and old.list_id is not None and new.list_id > old.list_id
    assert await db.active_list_id(any_store) == new.list_id
    assert len(await active_names(any_store)) == 3
    lists = await db.enterprise_lists(any_store)
    assert [(x.id, x.active) for x in lists] == [(new.list_id, True), (old.list_id, False)]


async def test_a_failing_replace_leaves_the_old_list_whole(any_store: Store) -> None:
    old = await import_enterprises(any_store, LICENSED)
    broken = [
        db.EnterpriseRow("Công ty A Giả Định", "a giả định", "X-1", None, "active"),
        db.EnterpriseRow("Công ty B Giả Định", "b giả định", "X-2", None, None),  # type: ignore[arg-type]
    ]
    with pytest.raises(IntegrityError):
        await db.replace_list(any_store, dt.date(2025, 12, 1), "broken.csv", broken)
    assert await db.active_list_id(any_store) == old.list_id
    assert len(await active_names(any_store)) == 8
    async with any_store.sessions() as session:
        assert (await session.execute(select(func.count(EnterpriseList.id)))).scalar_one() == 1


async def test_two_imports_at_once_leave_exactly_one_active_list(any_store: Store) -> None:
    a, b = await asyncio.gather(
        import_enterprises(any_store, LICENSED), import_enterprises(any_store, LISTS / "vietnamese-headers.csv")
    )
    assert a.ok and b.ok
    async with any_store.sessions() as session:
        active = (await session.execute(select(EnterpriseList.id).where(EnterpriseList.active.is_(True)))).all()
    assert len(active) == 1 and active[0][0] == await db.active_list_id(any_store)


async def test_the_migration_goes_down_and_up(any_store: Store) -> None:
    await import_enterprises(any_store, LICENSED)
    await any_store.downgrade("0002")
    async with any_store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        columns = await conn.run_sync(lambda c: {col["name"] for col in inspect(c).get_columns("inquiries")})
    assert not tables & {"enterprise_lists", "enterprises"}
    assert not columns & {"warning", "enterprise_name"}
    await any_store.migrate()
    assert await db.active_list_id(any_store) is None


def test_dates_are_read_in_both_orders() -> None:
    assert parse_date("2025-06-30") == parse_date("30/06/2025") == parse_date("30/6/2025") == dt.date(2025, 6, 30)
    assert parse_date("2025-06-30 00:00:00") == dt.date(2025, 6, 30)
    for bad in ("", "06/30/2025", "2025/06/30", "31/02/2024", "1/1/1900"):
        with pytest.raises(ValueError):
            parse_date(bad)


# --- the in-memory copy ---------------------------------------------------------------------


async def test_the_cache_reloads_only_when_a_newer_list_is_active(store: Store, rules: BrokerRules) -> None:
    now = [0.0]
    cache = EnterpriseCache(store, rules.matching, refresh_seconds=10, clock=lambda: now[0])
    empty = await cache.current()
    assert empty is not None and not empty.loaded
    await import_enterprises(store, LICENSED)
    assert await cache.current() is empty  # within the refresh interval: no query at all
    now[0] = 11.0
    first = await cache.current()
    assert first is not None and first.loaded and len(first) == 8
    now[0] = 30.0
    assert await cache.current() is first  # checked, same list: not rebuilt
    await import_enterprises(store, LISTS / "vietnamese-headers.csv", cache=cache)
    second = await cache.current()  # the import in this process invalidated the copy
    assert second is not None and len(second) == 3 and second.list_date == dt.date(2025, 9, 1)


async def test_the_directory_holds_the_lists_date(store: Store, rules: BrokerRules) -> None:
    await import_enterprises(store, LICENSED)
    directory = await load_directory(store, rules.matching)
    assert directory.loaded and directory.list_date == dt.date(2025, 6, 30) and len(directory) == 8


# --- matching -------------------------------------------------------------------------------


def outcome_of(directory: EnterpriseDirectory, question: str) -> str:
    lookup = look_up(question, normalize(question), directory)
    if lookup is None:
        return "none"
    if lookup.found:
        return lookup.found.licence_no
    return "several" if lookup.matches else "not_listed"


def test_matching_on_the_labelled_questions(directory: EnterpriseDirectory) -> None:
    cases = yaml.safe_load((LISTS / "matching.yaml").read_text(encoding="utf-8"))
    assert len(cases) >= 30
    wrong = [(c["q"], c["expect"], outcome_of(directory, c["q"])) for c in cases]
    wrong = [w for w in wrong if w[1] != w[2]]
    assert not wrong


@pytest.mark.parametrize(
    "question",
    [
        "cty sao mai gia dinh co giay phep xkld ko",  # no diacritics, cty
        "Công ty TNHH Nhân lực Sao Mai Giả Định có uy tín không",  # full name, TNHH
        "cty gia dinh sao mai co that khong",  # word order
        "cty sao mia gia dinh co giay phep ko",  # typo
        unicodedata.normalize("NFD", "công ty sao mai giả định có giấy phép không"),  # NFD input
    ],
)
def test_the_company_is_found_however_it_is_written(directory: EnterpriseDirectory, question: str) -> None:
    assert outcome_of(directory, question) == "001/GĐ-GP"


def test_legal_forms_are_left_out_of_the_name_key(rules: BrokerRules) -> None:
    assert (
        name_key("Công ty TNHH MTV Cung ứng Nhân lực Bình Minh Mẫu", rules.matching)
        == "cung ung nhan luc binh minh mau"
    )
    assert name_key("CTY CỔ PHẦN XKLĐ HẢI ĐĂNG", rules.matching) == "xuat khau lao dong hai dang"


def test_no_list_means_no_match_but_the_mention_is_kept(rules: BrokerRules) -> None:
    empty = EnterpriseDirectory.empty(rules.matching)
    lookup = look_up("cty ABC co giay phep xkld ko", normalize("cty ABC co giay phep xkld ko"), empty)
    assert lookup is not None and not lookup.loaded and lookup.name == "ABC" and lookup.found is None


# --- the dialogue ----------------------------------------------------------------------------


async def ask(service: BotService, text: str, user: str = "u1") -> object:
    return (await service.handle(IncomingMessage(channel="web", user_ref=user, text=text))).outcome


async def test_no_list_loaded_says_so_and_never_guesses(service: BotService, kb: KnowledgeBase) -> None:
    outcome = await ask(service, "cty sao mai gia dinh co giay phep xkld ko")
    assert outcome.intent == "enterprise/no_list"  # type: ignore[attr-defined]
    assert kb.text("enterprise_no_list").format(name="sao mai gia dinh") in outcome.reply.text  # type: ignore[attr-defined]
    assert outcome.as_json()["enterprise"] is None  # type: ignore[attr-defined]
    [record] = await service.store.inquiries()
    assert record.enterprise_name == "sao mai gia dinh" and not record.answered and not record.warning


async def test_a_listed_company_is_answered_with_licence_status_and_list_date(service: BotService) -> None:
    await import_enterprises(service.store, LICENSED, cache=service.enterprises)
    outcome = await ask(service, "cty sao mai gia dinh co giay phep xkld ko")
    text = outcome.reply.text  # type: ignore[attr-defined]
    assert "Công ty TNHH Nhân lực Sao Mai Giả Định" in text and "001/GĐ-GP" in text
    assert "đang hoạt động" in text and "30/6/2025" in text and "15/3/2020" in text
    assert outcome.as_json()["enterprise"] == {  # type: ignore[attr-defined]
        "name": "Công ty TNHH Nhân lực Sao Mai Giả Định",
        "licence_no": "001/GĐ-GP",
        "status": "active",
        "list_date": "2025-06-30",
    }
    assert outcome.as_json()["warning"] is False  # type: ignore[attr-defined]
    revoked = await ask(service, "công ty Hoa Sen Hư Cấu tuyển đi Đài Loan có thật không")
    assert "đã bị thu hồi giấy phép" in revoked.reply.text  # type: ignore[attr-defined]
    assert revoked.enterprise["status"] == "revoked"  # type: ignore[attr-defined]


async def test_an_unlisted_company_is_said_to_be_unlisted(service: BotService, kb: KnowledgeBase) -> None:
    await import_enterprises(service.store, LICENSED, cache=service.enterprises)
    outcome = await ask(service, "công ty TNHH XYZ có uy tín không")
    expected = kb.text("enterprise_not_listed").format(name="XYZ", list_date="30/6/2025")
    assert expected in outcome.reply.text  # type: ignore[attr-defined]
    assert "Đừng nộp tiền" in outcome.reply.text and outcome.enterprise is None  # type: ignore[attr-defined]
    assert outcome.reply.options[0].payload == "h:1"  # type: ignore[attr-defined]
    [record] = await service.store.inquiries()
    assert record.enterprise_name == "XYZ"


async def test_close_names_are_asked_about_then_picked(service: BotService) -> None:
    await import_enterprises(service.store, LICENSED, cache=service.enterprises)
    outcome = await ask(service, "công ty Kim Long có uy tín không")
    assert outcome.kind == "enterprise_choose" and outcome.enterprise is None  # type: ignore[attr-defined]
    labels = [o.label for o in outcome.reply.options]  # type: ignore[attr-defined]
    assert labels[:2] == ["Công ty Cổ phần Kim Long Hư Cấu", "Công ty TNHH Thương mại và Dịch vụ Kim Long Giả Định"]
    picked = await ask(service, "2")
    assert picked.enterprise["licence_no"] == "005/GĐ-GP"  # type: ignore[attr-defined]
    await ask(service, "cty kim long co giay phep khong")
    none = await service.handle(IncomingMessage("web", "u1", "", kind="button", payload="n:0"))
    assert none.outcome.intent == "enterprise/not_listed" and "“kim long”" in none.outcome.reply.text


async def test_a_new_list_is_used_by_the_running_bot(service: BotService) -> None:
    await import_enterprises(service.store, LICENSED, cache=service.enterprises)
    assert (await ask(service, "cty hoa sen hu cau co uy tin ko")).enterprise["status"] == "revoked"  # type: ignore[attr-defined]
    await import_enterprises(service.store, LISTS / "vietnamese-headers.csv", cache=service.enterprises)
    outcome = await ask(service, "cty hoa sen hu cau co uy tin ko")
    assert outcome.intent == "enterprise/not_listed" and "1/9/2025" in outcome.reply.text  # type: ignore[attr-defined]


async def test_ordinary_questions_are_untouched_by_the_list(service: BotService) -> None:
    await import_enterprises(service.store, LICENSED, cache=service.enterprises)
    for question, entry in [
        ("bao hiem that nghiep", "kg_bao_hiem_that_nghiep"),
        ("gia đình tôi nghèo có được hỗ trợ gì", None),
    ]:
        outcome = await ask(service, question)
        assert outcome.enterprise is None and outcome.enterprise_name is None  # type: ignore[attr-defined]
        if entry:
            assert outcome.entry == entry  # type: ignore[attr-defined]


# --- the command -----------------------------------------------------------------------------


def test_cli_import_list_and_ask_json(tmp_path: Path) -> None:
    bad = laodong(tmp_path, "enterprises", "import", str(LISTS / "no-valid-rows.csv"))
    assert bad.returncode == 1 and "nothing imported" in bad.stdout and "row 2:" in bad.stdout
    done = laodong(tmp_path, "enterprises", "import", str(LISTS / "bad-rows.csv"), "--list-date", "01/07/2025")
    assert done.returncode == 0, done.stderr
    assert "imported 2 enterprises" in done.stdout and "row 4: the licence date" in done.stdout
    listed = laodong(tmp_path, "enterprises", "list", "--json")
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert {r["licence_no"] for r in rows} == {"001/GĐ-GP", "013/GĐ-GP"}
    assert all(r["list_date"] == "2025-07-01" for r in rows)
    questions = ["cty sao mai gia dinh co giay phep xkld ko", "di xkld nhat can gi", "cty ABC co giay phep xkld ko"]
    asked = laodong(tmp_path, "ask", "--json", stdin="\n".join(questions) + "\n")
    assert asked.returncode == 0, asked.stderr
    listed_answer, ordinary, unlisted = (json.loads(line) for line in asked.stdout.splitlines())
    assert listed_answer["enterprise"] == {
        "name": "Công ty TNHH Nhân lực Sao Mai Giả Định",
        "licence_no": "001/GĐ-GP",
        "status": "active",
        "list_date": "2025-07-01",
    }
    assert ordinary["enterprise"] is None and ordinary["warning"] is False
    assert unlisted["enterprise"] is None and "ABC" in unlisted["answer"]


async def test_a_database_failure_keeps_the_copy_held_and_retries_later(
    store: Store, rules: BrokerRules, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = [0.0]
    cache = EnterpriseCache(store, rules.matching, refresh_seconds=5, clock=lambda: now[0])
    await import_enterprises(store, LICENSED)
    held = await cache.current()
    calls = []

    async def down(_store: Store) -> int:
        calls.append(now[0])
        raise OSError("connection refused")

    monkeypatch.setattr(db, "active_list_id", down)
    now[0] = 6.0
    assert await cache.current() is held and calls == [6.0]
    now[0] = 7.0
    assert await cache.current() is held and calls == [6.0]  # not retried on every message
    now[0] = 12.0
    assert await cache.current() is held and calls == [6.0, 12.0]
