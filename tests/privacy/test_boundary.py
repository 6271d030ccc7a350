"""One privacy boundary: a message is cut and redacted where it enters; only that text goes on."""

from __future__ import annotations

import datetime as dt
import json
import logging
import stat
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError

from actions.respond import Responder
from actions.types import Policy, State
from bot.admin.kbedit import usable_questions
from bot.channels.ratelimit import RedisPacer
from bot.journal import Journal
from bot.redis_link import RedisLink
from bot.service import MAX_STORED_CHARS, BotService, DuplicateMessage, IncomingMessage
from bot.store.models import CampaignEvent, Conversation, Handoff, Inquiry, User
from bot.store.store import Store
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from tests.conftest import TEST_KEY
from tests.fakes.clock import FakeClock
from tests.privacy.canaries import (
    CCCD,
    COMPANY,
    EMAIL,
    HANDOFF,
    OUT_OF_SCOPE,
    PASSPORT,
    PHONE,
    QUESTION,
    SCAM,
    every_file_in,
    every_text_in,
    in_clear,
    leaks,
)
from tests.redisdb import RedisNamespace


def message(text: str, user: str = "w1", ext: str | None = None, channel: str = "telegram") -> IncomingMessage:
    return IncomingMessage(channel=channel, user_ref=user, text=text, external_id=ext)


@pytest.mark.parametrize(
    "first,second",
    [
        (OUT_OF_SCOPE, None),  # fallback: the question kept for "talk to an official?"
        (f"xkld {PHONE}", None),  # a topic menu
        (f"hoc nghe o dau, cccd {CCCD}", None),  # the province question keeps the question
        (SCAM, None),  # a warning: the question kept for a handoff
        (COMPANY, None),  # the company check echoes the name as typed
        (f"{QUESTION} ho chieu {PASSPORT}", "co"),  # and what follows
    ],
)
async def test_raw_text_reaches_neither_state_nor_records(service: BotService, first: str, second: str | None) -> None:
    await service.handle(message(first))
    if second:
        await service.handle(message(second))
    user = service.user_id("telegram", "w1")
    state = json.dumps(await service.store.load_state(user), ensure_ascii=False)
    assert not in_clear(state), state
    assert not leaks(await every_text_in(service.store))


async def test_an_address_does_not_survive_folding(service: BotService) -> None:
    handled = await service.handle(message(f"email cua toi la {EMAIL} nhe"))
    [row] = await service.store.inquiries()
    assert not in_clear(row.normalized) and not in_clear(row.text), (row.text, row.normalized)
    assert not in_clear(handled.outcome.reply.text)


async def test_the_company_check_stores_no_number_typed_with_the_name(service: BotService) -> None:
    handled = await service.handle(message(COMPANY))
    [row] = await service.store.inquiries()
    assert not in_clear(row.reply_text) and not in_clear(row.enterprise_name or "")
    assert not in_clear(handled.outcome.reply.text)


async def test_a_handoff_request_keeps_no_number(service: BotService) -> None:
    await service.handle(message(HANDOFF))
    [handoff] = await service.store.handoffs()
    assert handoff.question and not in_clear(handoff.question)


async def test_a_huge_message_is_cut_before_anything_looks_at_it(service: BotService, engine: EmbeddedEngine) -> None:
    calls: list[str] = []
    original = engine.parse

    async def spy(text: str) -> object:
        calls.append(text)
        return await original(text)

    huge = ("0912345678a@b.c" * 5000)[: 64 * 1024]
    service._brain = service._brain.__class__(service.kb, engine, service.responder)
    engine.parse = spy  # type: ignore[method-assign]
    try:
        handled = await service.handle(message(huge))
    finally:
        del engine.parse
    assert handled.outcome.kind == "too_long" and calls == []
    [row] = await service.store.inquiries()
    assert len(row.text) <= MAX_STORED_CHARS and "0912345678" not in row.text


async def test_messages_are_stored_without_numbers_but_still_understood(service: BotService) -> None:
    plain = await service.handle(message("bao hiem that nghiep"))
    with_phone = await service.handle(message(f"bao hiem that nghiep, sdt {PHONE}", user="w2"))
    assert with_phone.outcome.entry == plain.outcome.entry


async def test_logs_hold_no_message_text(service: BotService, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for text in (QUESTION, HANDOFF, SCAM, COMPANY):
        await service.handle(message(text))
    assert not leaks((r.name, r.getMessage()) for r in caplog.records)


async def test_database_errors_carry_no_parameters(store: Store, service: BotService) -> None:
    await service.handle(message(f"hoi xkld sdt {PHONE}", ext="dup"))
    [row] = await store.inquiries()
    with pytest.raises(IntegrityError) as raised:
        await store.record(_again(row, "bí mật 0912999888"))
    assert "0912999888" not in str(raised.value) and "bí mật" not in str(raised.value)


def _again(row: Inquiry, text: str) -> object:
    from bot.store.store import TurnRecord

    return TurnRecord(
        user_id=row.user_id, channel=row.channel, state={}, province=None, message_kind="text", text=text,
        normalized=text, outcome="answer", topic="work_abroad", intent="x", entry_id=None, confidence=1.0,
        answered=True, engine="embedded", reply_text="", external_id=row.external_id,
    )  # fmt: skip


# --- /xoa is final --------------------------------------------------------------------------


async def test_a_journaled_message_from_before_an_erasure_is_not_written_back(
    kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = Journal(tmp_path / "journal")
    service = BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY, journal)
    await service.handle(message("/xoa", ext="1"))
    real_record = store.record

    async def database_down(*_a: object, **_k: object) -> int:
        raise OperationalError("INSERT", {}, ConnectionRefusedError("down"))

    monkeypatch.setattr(store, "record", database_down)
    await service.handle(message(f"cccd cua em la {CCCD}", ext="2"))  # journaled
    assert journal.pending() == 1
    monkeypatch.setattr(store, "record", real_record)
    done = await service.handle(message("co", ext="3"))  # the erasure, then the journal is written back
    assert done.outcome.delete_user
    assert journal.pending() == 0
    rows = await store.inquiries()
    assert [r.external_id for r in rows] == ["3"]  # the confirmation only
    assert await store.load_state(service.user_id("telegram", "w1")) == State().to_dict()  # a fresh start


async def test_a_redelivered_update_after_an_erasure_is_not_recorded_again(service: BotService) -> None:
    first = message(f"hoc nghe o dau, sdt {PHONE}", ext="100")
    await service.handle(first)
    await service.handle(message("/xoa", ext="101"))
    await service.handle(message("co", ext="102"))
    with pytest.raises(DuplicateMessage):
        await service.handle(first)  # the platform delivers update 100 again
    assert [r.external_id for r in await service.store.inquiries()] == ["102"]


async def test_a_new_message_after_an_erasure_is_recorded(service: BotService) -> None:
    await service.handle(message("/xoa", ext="1"))
    await service.handle(message("co", ext="2"))
    await service.handle(message("hoc nghe o dau", ext="3"))
    assert [r.external_id for r in await service.store.inquiries()] == ["2", "3"]


async def test_purge_removes_every_old_trace_of_workers(service: BotService) -> None:
    await service.handle(message(HANDOFF, ext="1"))
    await service.handle(message("/xoa", user="gone", ext="2"))
    await service.handle(message("co", user="gone", ext="3"))
    await service.store.campaign_event("unknown-code", "unknown", "web")
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=400)
    async with service.store.sessions.begin() as session:
        for model, column in (
            (Inquiry, Inquiry.created_at),
            (Handoff, Handoff.created_at),
            (Conversation, Conversation.updated_at),
            (User, User.last_seen_at),
            (CampaignEvent, CampaignEvent.created_at),
        ):
            await session.execute(update(model).values({column.key: old}))
    from bot.store.models import ErasedUpdate, Erasure

    async with service.store.sessions.begin() as session:
        await session.execute(update(Erasure).values(erased_at=old))
        await session.execute(update(ErasedUpdate).values(erased_at=old))
    await service.store.purge(dt.timedelta(days=365))
    left = [where for where, _v in await every_text_in(service.store)]
    assert left == [], left


# --- files, Redis, knowledge ------------------------------------------------------------------


async def test_journal_files_are_for_the_bot_alone(tmp_path: Path, store: Store, service: BotService) -> None:
    journal = Journal(tmp_path / "journal")
    await service.handle(message("xin chao"))
    [row] = await store.inquiries()
    journal.append(_again(row, "x"))  # type: ignore[arg-type]
    assert stat.S_IMODE(journal.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(journal.directory.stat().st_mode) == 0o700
    assert not leaks(every_file_in(journal.directory))


@pytest.mark.redis
async def test_redis_key_names_hold_no_chat_id(redis_ns: RedisNamespace) -> None:
    pacer = RedisPacer(1, 30, FakeClock(), RedisLink(redis_ns.url), f"{redis_ns.prefix}telegram:", b"key")
    await pacer.book(912345678, 0.0)
    keys = await redis_ns.keys()
    assert keys and not any("912345678" in k for k in keys), keys
    await pacer.close()


def test_questions_with_personal_data_never_become_examples(kb: KnowledgeBase) -> None:
    questions = [
        "cccd 0790 9000 1234 ne",
        "stk 19033456789012 techcombank",
        "so toi la [SĐT] goi giup",
        "mail nguyen van a gmail com",
        "lam the nao de di hoc nghe han quoc mien phi",
    ]
    assert usable_questions(kb, questions) == ["lam the nao de di hoc nghe han quoc mien phi"]


async def test_a_message_that_came_in_before_a_recorded_erasure_is_answered_not_recorded(service: BotService) -> None:
    from bot.store.models import Erasure

    user = service.user_id("web", "racer")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)  # its /xoa, handled meanwhile, was recorded first
    async with service.store.sessions.begin() as session:
        session.add(Erasure(user_id=user, erased_at=later))
    handled = await service.handle(message("bao hiem that nghiep", user="racer", channel="web"))
    assert handled.outcome.reply.text and handled.inquiry_id == 0
    assert await service.store.inquiries() == []


async def test_sqlite_overwrites_what_is_deleted(store: Store) -> None:
    from sqlalchemy import text

    async with store.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA secure_delete"))).scalar_one() == 1


async def test_a_journal_an_older_version_wrote_is_masked_when_written_back(
    kb: KnowledgeBase, engine: EmbeddedEngine, store: Store, tmp_path: Path
) -> None:
    from bot.store.store import TurnRecord

    journal = Journal(tmp_path / "journal")
    raw = f"cccd {CCCD} sdt {PHONE}"
    journal.append(
        TurnRecord(
            user_id="u-old", channel="telegram", state={"pending": {"kind": "handoff", "question": raw}},
            province=None, message_kind="text", text=raw, normalized=raw, outcome="fallback",
            topic="out_of_scope", intent="out_of_scope", entry_id=None, confidence=0.0, answered=False,
            engine="embedded", reply_text=raw, external_id="old-1", handoff_question=raw,
        )
    )  # fmt: skip
    service = BotService(kb, engine, Responder(kb, Policy.load()), store, TEST_KEY, journal)
    assert await service.flush_journal() == 1
    assert leaks(await every_text_in(store)) == []
