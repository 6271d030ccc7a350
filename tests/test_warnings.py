"""Warning signs of illegal brokers and scams: detection on a labelled set, and the warning reply."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
import yaml

from actions.brokers.rules import BrokerRules, compile_pattern
from actions.brokers.signs import read_situation
from actions.respond import Responder
from actions.situations import SituationDetector
from actions.turns import Turn
from actions.types import Policy, State
from bot.enterprises import import_enterprises
from bot.service import BotService, IncomingMessage
from bot.store.enterprises import fraud_reports
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine
from nlu.normalize import fold, normalize
from nlu.types import Candidate, Understanding

DATA = Path(__file__).resolve().parent / "data"
LABELLED = DATA / "warnings.yaml"
WARNING_ENTRIES = {"vn_canh_bao_moi_gioi_bat_hop_phap", "lc_khong_di_trai_phep"}


@pytest.fixture(scope="module")
def rules() -> BrokerRules:
    return BrokerRules.load()


@pytest.fixture(scope="module")
def labelled() -> list[dict[str, object]]:
    return list(yaml.safe_load(LABELLED.read_text(encoding="utf-8")))


def confusion(rules: BrokerRules, items: list[dict[str, object]]) -> tuple[int, int, int, int]:
    """(true positives, false positives, false negatives, true negatives)."""
    tp = fp = fn = tn = 0
    for item in items:
        fired = bool(rules.warning_signs(normalize(str(item["q"])).folded))
        if item["warning"]:
            tp, fn = (tp + 1, fn) if fired else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if fired else (fp, tn + 1)
    return tp, fp, fn, tn


def test_labelled_set_is_large_balanced_and_mixed(labelled: list[dict[str, object]]) -> None:
    assert len(labelled) >= 60
    positives = [i for i in labelled if i["warning"]]
    assert len(positives) >= 30 and len(labelled) - len(positives) >= 30
    accented = [i for i in labelled if fold(str(i["q"])) != str(i["q"]).lower()]
    assert len(accented) >= 25 and len(labelled) - len(accented) >= 25
    assert len({normalize(str(i["q"])).folded for i in labelled}) == len(labelled), "duplicate questions"


def test_precision_and_recall_on_the_labelled_set(rules: BrokerRules, labelled: list[dict[str, object]]) -> None:
    tp, fp, fn, _ = confusion(rules, labelled)
    assert tp / (tp + fp) >= 0.9, "precision"
    assert tp / (tp + fn) >= 0.9, "recall"


@pytest.mark.parametrize("accented", [True, False])
def test_accented_and_unaccented_messages_fare_alike(
    rules: BrokerRules, labelled: list[dict[str, object]], accented: bool
) -> None:
    part = [i for i in labelled if (fold(str(i["q"])) != str(i["q"]).lower()) == accented]
    tp, fp, fn, _ = confusion(rules, part)
    assert tp / (tp + fp) >= 0.9 and tp / (tp + fn) >= 0.9


def test_ordinary_questions_of_the_knowledge_base_raise_no_alarm(rules: BrokerRules, kb: KnowledgeBase) -> None:
    ordinary = [q for e in kb.entries.values() if e.id not in WARNING_ENTRIES for q in e.examples]
    alarms = [q for q in ordinary if rules.warning_signs(normalize(q).folded)]
    assert len(ordinary) > 500
    assert len(alarms) <= len(ordinary) * 0.01, alarms


def test_nfd_and_nfc_input_give_the_same_signs(rules: BrokerRules) -> None:
    text = "Môi giới đòi đặt cọc trước khi ký hợp đồng, giữ hộ chiếu của em"
    nfd = unicodedata.normalize("NFD", text)
    signs = rules.warning_signs(normalize(text).folded)
    assert signs == rules.warning_signs(normalize(nfd).folded)
    assert set(signs) == {"pay_before_contract", "passport_held"}


def test_a_gap_in_a_pattern_spans_up_to_four_words() -> None:
    pattern = compile_pattern("giu ~ ho chieu", {})
    assert pattern.search("chu giu ho chieu")
    assert pattern.search("chu giu luon ca cai ho chieu")
    assert not pattern.search("chu giu mot hai ba bon nam ho chieu")
    assert not pattern.search("giuho chieu")


def test_every_sign_has_its_words_and_the_warning_entries_exist(rules: BrokerRules, kb: KnowledgeBase) -> None:
    assert set(kb.responses["warning_signs"]) == {s.id for s in rules.signs}
    assert rules.warning_entry in kb.entries
    assert all(e in kb.entries for e in rules.warning_entry_by_province.values())
    assert all(e in kb.entries for e in rules.warning_related)


def test_the_warning_quotes_the_plan_gives_steps_cites_and_offers_an_official(
    kb: KnowledgeBase, engine: EmbeddedEngine
) -> None:
    responder = Responder(kb, Policy.load())
    text = "moi gioi doi dong 50tr truoc roi moi ky hop dong"
    norm = normalize(text)
    outcome = responder.respond(State(greeted=True), Turn("text", text, norm), engine.understand(norm))
    entry = kb.entries["vn_canh_bao_moi_gioi_bat_hop_phap"]
    assert outcome.warning and outcome.kind == "warning" and outcome.entry == entry.id
    reply = outcome.reply.text
    assert kb.text("warning_intro") in reply
    assert kb.responses["warning_signs"]["pay_before_contract"] in reply
    assert entry.answer.split("\n\n")[0] in reply
    assert kb.text("warning_steps") in reply and kb.source_line(entry) in reply
    assert outcome.reply.sources == kb.source_dicts(entry)
    assert [o.payload for o in outcome.reply.options][:2] == ["h:1", "h:0"]
    assert outcome.state.pending == {"kind": "handoff", "question": text}
    assert outcome.as_json()["warning"] is True and outcome.as_json()["enterprise"] is None


def test_a_worker_in_lao_cai_gets_the_lao_cai_plan(kb: KnowledgeBase, engine: EmbeddedEngine) -> None:
    responder = Responder(kb, Policy.load())
    text = "có người rủ đi chui sang Trung Quốc làm thuê"
    norm = normalize(text)
    outcome = responder.respond(State(province="lao-cai"), Turn("text", text, norm), engine.understand(norm))
    assert outcome.warning and outcome.entry == "lc_khong_di_trai_phep"


def test_ordinary_question_is_answered_as_before(kb: KnowledgeBase, engine: EmbeddedEngine) -> None:
    responder = Responder(kb, Policy.load())
    norm = normalize("bao hiem that nghiep")
    outcome = responder.respond(
        State(greeted=True), Turn("text", "bao hiem that nghiep", norm), engine.understand(norm)
    )
    assert not outcome.warning and outcome.entry == "kg_bao_hiem_that_nghiep"
    assert outcome.as_json()["warning"] is False


async def test_warning_then_yes_hands_the_case_to_an_official_and_flags_it(service: BotService) -> None:
    first = await service.handle(IncomingMessage("web", "u1", "chủ bên hàn giữ hộ chiếu của em không trả"))
    assert first.outcome.warning
    second = await service.handle(IncomingMessage("web", "u1", "có"))
    assert second.outcome.kind == "handoff"
    [handoff] = await service.store.handoffs()
    assert handoff.question == "chủ bên hàn giữ hộ chiếu của em không trả"
    records = await service.store.inquiries()
    assert [r.warning for r in records] == [True, False]
    [report] = await fraud_reports(service.store)
    assert report.id == first.inquiry_id and report.enterprise_name is None


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("cho tôi gặp cán bộ, môi giới đòi đặt cọc trước khi ký hợp đồng", "handoff"),
        # a long story where the engine only heard "cán bộ": the warning, which offers an official
        (
            "có người gọi xưng là cán bộ trung tâm của Sở, bảo nộp 3 triệu phí hồ sơ là được đi Hàn, không cần thi",
            "warning",
        ),
    ],
)
def test_asking_for_an_official_with_a_warning_sign_hands_over_at_once(kb: KnowledgeBase, text: str, kind: str) -> None:
    responder = Responder(kb, Policy.load())
    und = Understanding(
        intent="human", topic="human", topic_confidence=0.9, ranking=(Candidate("human", "human", 0.9),)
    )
    outcome = responder.respond(State(greeted=True), Turn("text", text, normalize(text)), und)
    assert outcome.kind == kind and outcome.warning
    assert kind != "handoff" or outcome.handoff_question == text


async def test_fraud_report_names_the_company_the_worker_mentioned(service: BotService) -> None:
    await import_enterprises(service.store, DATA / "enterprises" / "licensed.csv", cache=service.enterprises)
    listed = await service.handle(
        IncomingMessage("web", "u1", "cty sao mai gia dinh doi dat coc 50 trieu truoc khi ky hop dong")
    )
    unlisted = await service.handle(IncomingMessage("web", "u2", "Công ty Ánh Dương Ảo giữ hộ chiếu của em"))
    assert listed.outcome.warning and listed.outcome.enterprise is not None
    assert listed.outcome.enterprise["licence_no"] == "001/GĐ-GP"
    assert "001/GĐ-GP" in listed.outcome.reply.text
    assert unlisted.outcome.warning and unlisted.outcome.enterprise is None
    assert "Ánh Dương Ảo" in unlisted.outcome.reply.text
    names = [r.enterprise_name for r in await fraud_reports(service.store)]
    assert names == ["Ánh Dương Ảo", "Công ty TNHH Nhân lực Sao Mai Giả Định"]


@pytest.mark.parametrize(
    ("text", "fires"),
    [
        ("hằng tuần tôi qua cửa khẩu bằng giấy thông hành bán măng rồi chiều về", False),
        ("có người bảo qua cửa khẩu bằng giấy thông hành rồi ở lại làm thuê, khỏi cần hộ chiếu", True),
        ("co nguoi dan di chui qua bien gioi sang ben kia lam xuong", True),
    ],
)
def test_a_day_at_the_border_with_a_border_pass_is_no_illegal_route(rules: BrokerRules, text: str, fires: bool) -> None:
    signs = rules.warning_signs(normalize(text).folded)
    assert ("irregular_route" in signs) is fires


def test_a_transfer_note_that_hides_the_fee_ties_the_message_to_a_broker(rules: BrokerRules) -> None:
    folded = normalize("người lo hồ sơ dặn khi chuyển khoản thì ghi nội dung là cho vay").folded
    assert rules.warning_context.fires(folded)
    assert "pay_before_contract" in rules.warning_signs(folded)


@pytest.mark.parametrize(
    ("text", "warned"),
    [
        # wages kept abroad against a broker's fee or the worker's "price": trouble abroad and forced labour
        ("cô em bên Đài Loan bị chủ giữ lương để trừ tiền môi giới, xin về không cho", True),
        ("ba toi lam o Angola, cai thau bao luong phai can tien ve may bay, chua tra dong nao", True),
        # a ransom asked for someone held abroad, a worker held by immigration
        ("bọn giữ người bên Campuchia nhắn đòi nhà tôi chuyển 80 triệu tiền chuộc em tôi", True),
        ("vợ tôi bị cơ quan di trú bên Nhật tạm giữ ba tuần rồi, nhà không được báo gì", None),
        ("anh re toi bi canh sat malaysia bat giu tu thu 3, ko ai lien lac duoc", None),
    ],
)
def test_a_worker_held_or_bound_by_a_debt_abroad_is_urgent(
    rules: BrokerRules, kb: KnowledgeBase, text: str, warned: bool | None
) -> None:
    _, warning, urgent = read_situation(rules, SituationDetector.for_kb(kb), normalize(text))
    assert urgent
    if warned is not None:
        assert warning is warned


@pytest.mark.parametrize(
    "text",
    [
        "mình có visa đi Hàn rồi, lớp bồi dưỡng trước khi đi học ở đâu, mất mấy hôm",
        "phí đi Nhật theo diện kỹ năng gồm những khoản nào, công ty báo 5.000 đô có cao không",
        "anh mất tiền cho người lo visa từ năm 2015, thôi bỏ qua rồi, giờ hỏi lớp học nghề mộc",
        "cháu muốn gia hạn hộ chiếu trước khi nộp hồ sơ thi tiếng Hàn, chưa từng ra nước ngoài",
        "con trai tôi mới sang Đài, mọi thứ đều ổn, cho tôi số điện thoại khẩn cấp để lưu",
    ],
)
def test_going_the_legal_way_or_an_old_story_over_is_not_warned(
    rules: BrokerRules, kb: KnowledgeBase, text: str
) -> None:
    assert read_situation(rules, SituationDetector.for_kb(kb), normalize(text))[1:] == (False, False)


@pytest.mark.parametrize(
    "text",
    [
        "chi nhanh cty xkld o Rach Gia noi giay phep dang cho cap, ma van thu tien coc cua tui",
        "co chu quan bar o Sa Pa ru em gai di lam tiep vien ben Malaysia, lo het ve may bay, sang do tru luong",
    ],
)
async def test_no_licence_and_hostess_work_abroad_are_warned(service: BotService, text: str) -> None:
    handled = await service.handle(IncomingMessage(channel="web", user_ref="u1", text=text))
    assert handled.outcome.warning is True  # type: ignore[attr-defined]


async def test_a_company_named_after_ten_is_looked_up_and_the_check_advice_cited(service: BotService) -> None:
    handled = await service.handle(
        IncomingMessage(channel="web", user_ref="u1", text="cty đó tên Hưng Thịnh Phát gì đó, có phép ko")
    )
    assert "Hưng Thịnh Phát" in handled.outcome.reply.text  # type: ignore[attr-defined]
    assert handled.outcome.entry == "vn_canh_bao_moi_gioi_bat_hop_phap"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "warned"),
    [
        ("cty dua hop dong toan tieng Han, bat ky lien tai cho, ko cho mang ve doc ky", True),
        ("ho bao ky hop dong voi cong ty ben nuoc ngoai, tien thi chuyen vao tai khoan ben Dai Loan", True),
        ("ong chu bao cu di Nhat bang visa ngan han roi o lai lam vai nam gui tien ve", True),
        # an outing, a past loss now settled, how not to be cheated: no story of a scam now
        ("tui với mấy đứa bạn đi du lịch Thái 5 ngày, không phải đi làm đâu, có cần khai báo gì không", False),
        ("năm kia tôi bị lừa mất tiền đi Đài, giờ ổn rồi, làm ruộng ở quê, muốn học nghề sửa xe", False),
        ("lam sao de di lam nuoc ngoai dung luat ma ko bi lua", False),
        # a match-maker's offer to marry abroad for money sent home; "chỉ cần 90 triệu là bay"
        ("có người quen trên mạng rủ em gái tui qua Đài Loan lấy chồng giàu, gửi tiền về nuôi cả nhà", True),
        ("di Han khong can thi tieng, chi can 120tr la bay, nguoi ta noi vay co dung ko", True),
    ],
)
async def test_an_unread_contract_money_abroad_and_a_short_visa_to_work_are_warned_not_an_outing(
    service: BotService, text: str, warned: bool
) -> None:
    handled = await service.handle(IncomingMessage(channel="web", user_ref="u1", text=text))
    assert handled.outcome.warning is warned  # type: ignore[attr-defined]


async def test_a_relative_arrested_abroad_is_urgent_though_home_is_named(service: BotService) -> None:
    text = "thằng em tôi bị cảnh sát Hàn bắt vì làm sai visa, nhà ở Bảo Thắng, giờ sao"
    handled = await service.handle(IncomingMessage(channel="web", user_ref="u1", text=text))
    assert handled.outcome.as_json()["urgent"] is True  # type: ignore[attr-defined]


def test_every_cue_pattern_compiles_though_they_compile_on_first_use(rules: BrokerRules) -> None:
    assert BrokerRules.load().compile_all() > 300  # a malformed pattern in brokers.yaml fails here, not on a message
