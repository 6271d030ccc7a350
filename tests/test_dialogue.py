"""Whole conversations through the bot service, as a worker has them, with the inquiry log."""

from __future__ import annotations

from dataclasses import asdict, fields

from actions.respond import Responder
from actions.turns import Turn
from actions.types import Policy, State
from bot.service import BotService, IncomingMessage
from knowledge.model import KnowledgeBase
from nlu.engine import Candidate, Understanding
from nlu.normalize import normalize


async def say(service: BotService, text: str, user: str = "u1", **kw: object) -> tuple[str, list[str], object]:
    handled = await service.handle(IncomingMessage(channel="web", user_ref=user, text=text, **kw))  # type: ignore[arg-type]
    reply = handled.outcome.reply
    return reply.text, [o.payload for o in reply.options], handled


async def test_greeting_offers_the_topics_and_says_what_is_kept_once(service: BotService, kb: KnowledgeBase) -> None:
    text, options, _ = await say(service, "/start")
    assert kb.text("privacy_notice") in text
    topics = ["t:work_abroad", "t:pre_departure", "t:vocational", "t:employment", "t:social_assistance"]
    assert options == [*topics, "s:1"]  # and "Nhận thông báo" (announcements, /dangky)
    text, _, _ = await say(service, "xin chào")
    assert kb.text("privacy_notice") not in text
    assert kb.text("menu") in text


async def test_answer_carries_its_source_line_and_follow_ups(service: BotService) -> None:
    text, options, handled = await say(service, "bao hiem that nghiep")
    outcome = handled.outcome  # type: ignore[attr-defined]
    assert outcome.entry == "kg_bao_hiem_that_nghiep"
    assert "📄 Theo Kế hoạch 18/KH-UBND ngày 29/1/2018 của UBND tỉnh Kiên Giang" in text
    assert 2 <= len(options) <= 3 and all(p.startswith("e:") for p in options)
    assert outcome.reply.ask_feedback
    assert outcome.reply.sources[0]["document"] == "Kế hoạch số 18/KH-UBND"
    [record] = await service.store.inquiries()
    assert (record.topic, record.entry_id, record.answered, record.channel) == (
        "employment",
        "kg_bao_hiem_that_nghiep",
        True,
        "web",
    )


async def test_province_is_asked_once_then_remembered(service: BotService) -> None:
    text, options, handled = await say(service, "mỗi năm tỉnh mình đưa bao nhiêu người đi xkld")
    assert handled.outcome.kind == "ask_province"  # type: ignore[attr-defined]
    assert "p:lao-cai" in options and "p:kien-giang" in options
    text, _, handled = await say(service, "lao cai")
    assert handled.outcome.entry == "lc_muc_tieu_xkld"  # type: ignore[attr-defined]
    assert "200" in text
    text, _, handled = await say(service, "muc tieu dua nguoi di lam o nuoc ngoai cua tinh")
    assert handled.outcome.kind == "answer"  # type: ignore[attr-defined]
    assert handled.outcome.entry == "lc_muc_tieu_xkld"  # type: ignore[attr-defined]


async def test_a_province_named_in_the_question_is_used_and_kept(service: BotService) -> None:
    text, _, handled = await say(service, "kien giang moi nam dua bao nhieu nguoi di xkld")
    assert handled.outcome.entry == "kg_muc_tieu_xkld"  # type: ignore[attr-defined]
    assert "1.000" in text
    assert handled.outcome.state.province == "kien-giang"  # type: ignore[attr-defined]


async def test_unknown_question_is_admitted_and_can_go_to_an_official(service: BotService, kb: KnowledgeBase) -> None:
    text, options, handled = await say(service, "giá vàng hôm nay bao nhiêu")
    assert handled.outcome.kind == "fallback"  # type: ignore[attr-defined]
    assert text == kb.text("fallback")
    assert "h:1" in options
    text, _, handled = await say(service, "có")
    [handoff] = await service.store.handoffs()
    assert handoff.question == "giá vàng hôm nay bao nhiêu" and handoff.code
    assert text == f"{kb.text('handoff_created')}\n\n{kb.text('handoff_code').format(code=handoff.code)}"
    records = await service.store.inquiries()
    assert [r.answered for r in records] == [False, True]
    assert records[1].handoff


async def test_asking_for_a_person_records_a_handoff(service: BotService) -> None:
    await say(service, "cty nhat nao uy tin nhat")
    _, _, handled = await say(service, "cho tôi gặp cán bộ")
    assert handled.outcome.topic == "human"  # type: ignore[attr-defined]
    assert len(await service.store.handoffs()) == 1


async def test_buttons_and_typed_numbers_pick_options(service: BotService) -> None:
    _, options, _ = await say(service, "bao hiem that nghiep")
    first = options[0].removeprefix("e:")
    _, _, handled = await say(service, "1")
    assert handled.outcome.entry == first  # type: ignore[attr-defined]
    _, _, handled = await say(service, "", kind="button", payload="e:kg_bao_hiem_xa_hoi")
    assert handled.outcome.entry == "kg_bao_hiem_xa_hoi"  # type: ignore[attr-defined]


async def test_topic_button_lists_what_the_topic_holds(service: BotService, kb: KnowledgeBase) -> None:
    text, options, _ = await say(service, "", kind="button", payload="t:pre_departure")
    assert kb.responses["topics"]["pre_departure"] in text
    assert options and all(kb.entries[p[2:]].topic == "pre_departure" for p in options)


async def test_feedback_is_recorded_against_the_answer(service: BotService, kb: KnowledgeBase) -> None:
    _, _, answered = await say(service, "bao hiem that nghiep")
    text, _, _ = await say(service, "👍")
    assert text == kb.text("feedback_thanks")
    await say(service, "", kind="button", payload="f:0")
    records = await service.store.inquiries()
    assert records[0].id == answered.inquiry_id  # type: ignore[attr-defined]
    assert records[0].feedback == -1


async def test_stickers_get_a_polite_reply_and_are_logged(service: BotService, kb: KnowledgeBase) -> None:
    text, _, _ = await say(service, "", kind="sticker")
    assert text == kb.text("non_text")
    [record] = await service.store.inquiries()
    assert record.message_kind == "sticker"


async def test_bad_input_gets_a_clear_reply_and_one_record_each(service: BotService, kb: KnowledgeBase) -> None:
    replies = [
        (await say(service, ""))[0],
        (await say(service, "   \t "))[0],
        (await say(service, "x" * 10_000))[0],
        (await say(service, "\x00\x01\x1b[31m xkld \x7f"))[0],
        (await say(service, "<script>alert('x')</script>"))[0],
        (await say(service, "\udcff\ufffd lỗi mã hóa"))[0],
    ]
    assert replies[0] == replies[1] == kb.text("empty")
    assert replies[2] == kb.text("too_long")
    assert all(r for r in replies)
    records = await service.store.inquiries()
    assert len(records) == 6
    assert records[4].text == "<script>alert('x')</script>"
    assert len(records[2].text) <= 4000


async def test_phone_and_id_numbers_never_reach_the_log(service: BotService) -> None:
    await say(service, "toi sdt 0912345678 cccd 001203004567 muon di nhat")
    [record] = await service.store.inquiries()
    assert "0912345678" not in record.text + record.normalized
    assert "001203004567" not in record.text + record.normalized
    assert record.user_id != "u1" and len(record.user_id) == 40


async def test_delete_after_confirmation_removes_the_users_records(service: BotService, kb: KnowledgeBase) -> None:
    await say(service, "bao hiem that nghiep")
    await say(service, "hoc nghe o dau", user="someone-else")
    text, _, _ = await say(service, "/xoa")
    assert text == kb.text("delete_confirm")
    text, _, _ = await say(service, "có")
    assert text == kb.text("delete_done")
    records = await service.store.inquiries()
    mine = [r for r in records if r.user_id == service.user_id("web", "u1")]
    assert [r.intent for r in mine] == ["delete"]
    assert len(records) == 2


async def test_keeping_data_when_deletion_is_not_confirmed(service: BotService, kb: KnowledgeBase) -> None:
    await say(service, "bao hiem that nghiep")
    await say(service, "/xoa")
    text, _, _ = await say(service, "không")
    assert text == kb.text("delete_cancelled")
    assert len(await service.store.inquiries()) == 3


def test_close_entries_are_clarified_then_picked_by_number(kb: KnowledgeBase) -> None:
    responder = Responder(kb, Policy.load())
    ranking = (
        Candidate("faq/kg_bao_hiem_xa_hoi", "employment", 0.40),
        Candidate("faq/kg_bao_hiem_that_nghiep", "employment", 0.35),
        Candidate("out_of_scope", "out_of_scope", 0.05),
    )
    und = Understanding(intent="faq/kg_bao_hiem_xa_hoi", topic="employment", topic_confidence=0.8, ranking=ranking)
    turn = Turn(kind="text", text="bao hiem", norm=normalize("bao hiem"))
    outcome = responder.respond(State(greeted=True), turn, und)
    assert outcome.kind == "clarify"
    assert [o.payload for o in outcome.reply.options] == ["e:kg_bao_hiem_xa_hoi", "e:kg_bao_hiem_that_nghiep"]
    pick = responder.respond(outcome.state, Turn(kind="text", text="2", norm=normalize("2")), None)
    assert pick.entry == "kg_bao_hiem_that_nghiep"


async def test_the_first_screen_comes_first_and_the_2025_office_change_is_said_once(
    service: BotService, kb: KnowledgeBase
) -> None:
    note = kb.office_change_note(["Sở Nội vụ"])
    text, _, handled = await say(service, "bao hiem that nghiep")
    entry = kb.entries[handled.outcome.entry]  # type: ignore[attr-defined]
    assert text.startswith(entry.first_screen + "\n\n")
    assert note in text and text.index(note) < text.index(kb.source_line(entry))
    text, _, handled = await say(service, "kien giang moi nam dua bao nhieu nguoi di xkld")
    assert handled.outcome.entry == "kg_muc_tieu_xkld"  # type: ignore[attr-defined]
    assert "Sở Nội vụ" in text and note not in text  # then just the current office's name
    assert "Sở Lao động" not in text
    text, _, _ = await say(service, "bao hiem that nghiep", user="u2")
    assert note in text  # another worker's conversation hears it too


def test_an_entry_about_the_reorganisation_tells_the_change_itself(kb: KnowledgeBase) -> None:
    responder = Responder(kb, Policy.load())
    merged = responder.answer(State(greeted=True), kb.entries["vn_sap_xep_tinh_2025"], 1.0)
    assert not merged.state.office_note_given  # the provinces merged; the offices are not its subject
    told = responder.answer(merged.state, kb.entries["vn_sap_xep_so_2025"], 1.0)
    assert "Lưu ý:" not in told.reply.text and told.state.office_note_given
    after = responder.answer(told.state, kb.entries["kg_bao_hiem_that_nghiep"], 1.0)
    assert kb.office_change_note(["Sở Nội vụ"]) not in after.reply.text


def test_another_provinces_plan_is_said_after_the_first_screen(kb: KnowledgeBase) -> None:
    responder = Responder(kb, Policy.load())
    entry = kb.entries["lc_muc_tieu_xkld"]
    outcome = responder.answer_or_ask_province(State(province="other", greeted=True), entry, 1.0, "bao nhieu nguoi")
    paragraphs = outcome.reply.text.split("\n\n")
    assert paragraphs[0] == entry.first_screen and "200" in paragraphs[0]
    assert paragraphs[1] == kb.text("other_province_note").format(province=kb.provinces["lao-cai"].name)


def test_state_to_dict_is_asdict_and_copies_what_is_nested() -> None:
    pending = {"kind": "enterprise", "candidates": [{"name": "A", "list_date": None}], "pair": (1, [2])}
    state = State("lao-cai", pending, ["e:x", "h:1"], 7, True, False, {"entry": "x", "kind": "answer"}, True)
    as_dict = state.to_dict()
    assert as_dict == asdict(state)
    assert list(as_dict) == [f.name for f in fields(State)]
    as_dict["pending"]["candidates"][0]["name"] = "B"
    as_dict["options"].append("m")
    assert state.pending is not None and state.pending["candidates"][0]["name"] == "A"
    assert state.options == ["e:x", "h:1"]
