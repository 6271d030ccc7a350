"""Conversation context: places named anywhere, follow-ups on the previous turn, bare topics."""

from __future__ import annotations

import unicodedata

import pytest

from actions.context import ContextRules, check_context
from actions.places import Gazetteer, check_gazetteer, words
from actions.rasa_bridge import slots_for, state_from_slots
from actions.respond import Responder
from actions.turns import Turn
from actions.types import Policy, State
from bot.conversations import misses
from bot.service import BotService
from knowledge.model import KnowledgeBase
from nlu.normalize import normalize
from nlu.types import Candidate, Understanding
from tests.test_dialogue import say


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return Gazetteer.load()


@pytest.fixture(scope="module")
def rules() -> ContextRules:
    return ContextRules.load()


# --- the gazetteer (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("chị ở Châu Thành, muốn tìm việc", "kien-giang"),  # the district the Kiên Giang plan means
        ("em ở mường khương", "lao-cai"),
        ("bên Văn Bàn có ai lo vụ đi nước ngoài ko", "lao-cai"),
        ("nha em o bat xat", "lao-cai"),
        ("chị ở Nghĩa Lộ, Yên Bái cũ", "lao-cai"),  # Yên Bái is part of the new Lào Cai
        ("rach gia", "kien-giang"),
        ("tân hiệp", "kien-giang"),
        ("em o phu quoc muon hoi", "kien-giang"),
        ("An Giang giờ gồm cả Kiên Giang", "kien-giang"),
        ("em ở Hà Nội", "other"),
        ("que em o nghe an, dang lam o lao cai", "lao-cai"),  # a plan province before another one
        (unicodedata.normalize("NFD", "còn Lào Cai thì sao"), "lao-cai"),
        ("hoà bình thế giới", None),  # the phrase, not the province
        ("gửi văn bản cho sở nội vụ", None),  # accents say văn bản, not Văn Bàn
        ("nop van ban o dau", None),  # unaccented and no sign of a place
        ("cần thợ hàn đi nhật", None),
        ("bác hả", None),
        ("lao dong di nhat", None),
    ],
)
def test_a_place_named_anywhere_gives_its_province(gazetteer: Gazetteer, text: str, province: str | None) -> None:
    assert gazetteer.province(words(text)) == province


def test_an_ambiguous_unaccented_name_counts_after_a_place_word(gazetteer: Gazetteer) -> None:
    assert gazetteer.province(words("em o van ban")) == "lao-cai"
    assert gazetteer.province(words("van ban")) == "lao-cai"
    assert gazetteer.province(words("doc van ban nay giup em")) is None


def test_the_gazetteer_names_known_provinces_once(gazetteer: Gazetteer, kb: KnowledgeBase) -> None:
    assert check_gazetteer(gazetteer, list(kb.provinces)) == []
    assert len(gazetteer.places) > 100


# --- reading a message (pure) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["còn Lào Cai thì sao", "thế ở kiên giang", "con lao cai thi sao", "em ở lào cai", "lao cai a", "lc thi sao"],
)
def test_a_place_and_nothing_else_is_read_as_such(rules: ContextRules, text: str) -> None:
    assert rules.read(text).place_only


def test_a_province_without_a_plan_counts_where_the_worker_lives(rules: ContextRules) -> None:
    assert rules.read("nhà em ở nghệ an muốn đi nhật").province == "other"
    assert rules.read("Hà Nội ạ").province == "other"
    assert rules.read("công ty ở Sài Gòn bảo đóng tiền trước").province is None


def test_a_place_inside_a_question_is_not_a_place_alone(rules: ContextRules) -> None:
    reading = rules.read("em ở mường khương muốn đi hàn thì hỏi ở đâu")
    assert reading.province == "lao-cai" and not reading.place_only
    assert not rules.read("Tôi ở Yên Bái thì giờ thuộc tỉnh Lào Cai mới phải không?").place_only
    assert not rules.read("yên bái giờ là lào cai à").place_only
    assert rules.read("em ở nghĩa lộ yên bái").place_only


@pytest.mark.parametrize(
    ("text", "cue"),
    [
        ("vậy giờ em phải làm sao", "steps"),
        ("rồi sao nữa", "steps"),
        ("lam sao gio", "steps"),
        ("z h e phai lam j", "steps"),
        ("bước tiếp theo là gì", "steps"),
        ("cụ thể hơn", "more"),
        ("ý là sao ạ", "more"),
        ("bạn nói kỹ hơn chút được không", "more"),
        ("giờ ai quản lý việc này", "steps"),
        ("báo cho ai", "steps"),
        ("tìm việc ở đâu", "steps"),
        ("học phí bao nhiêu", "cost"),
        ("cái đó tốn bao nhiêu", "cost"),
        ("sao tỉnh lại muốn vậy", "related"),
        ("thật không hay lừa đấy", "related"),
        ("đi hàn quốc mất bao nhiêu tiền", None),  # a question of its own
        ("đi nhật cần bằng cấp gì", None),
        ("cảm ơn", None),
    ],
)
def test_what_do_i_do_now_and_tell_me_more(rules: ContextRules, text: str, cue: str | None) -> None:
    assert rules.read(text).cue == cue


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("viec lam", "employment"),
        ("hoc nghe", "vocational"),
        ("xkld", "work_abroad"),
        ("tro cap", "social_assistance"),
        ("cho em hỏi về việc làm", "employment"),
        ("tim viec lam o dau", None),  # a question, not a bare topic
        ("bao hiem that nghiep", None),
    ],
)
def test_one_or_two_words_name_a_topic(rules: ContextRules, text: str, topic: str | None) -> None:
    assert rules.read(text).topic == topic


def test_context_data_names_only_known_entries(rules: ContextRules, kb: KnowledgeBase) -> None:
    assert check_context(rules, kb) == []


# --- in a conversation ------------------------------------------------------------------------


async def test_the_same_question_for_another_province(service: BotService) -> None:
    _, _, first = await say(service, "mỗi năm kiên giang đưa bao nhiêu người đi xkld")
    assert first.outcome.entry == "kg_muc_tieu_xkld"  # type: ignore[attr-defined]
    text, _, handled = await say(service, "còn Lào Cai thì sao")
    assert (handled.outcome.entry, handled.outcome.province) == ("lc_muc_tieu_xkld", "lao-cai")  # type: ignore[attr-defined]
    assert "200" in text
    _, _, handled = await say(service, "the o kien giang")
    assert handled.outcome.entry == "kg_muc_tieu_xkld"  # type: ignore[attr-defined]
    _, _, handled = await say(service, unicodedata.normalize("NFD", "còn Lào Cai thì sao"))
    assert handled.outcome.entry == "lc_muc_tieu_xkld"  # type: ignore[attr-defined]
    _, _, handled = await say(service, "thế kiên giang chỉ tiêu ra sao")  # the subject said again beside the place
    assert handled.outcome.entry == "kg_muc_tieu_xkld"  # type: ignore[attr-defined]


async def test_the_same_question_where_the_province_has_no_entry_says_so(
    service: BotService, kb: KnowledgeBase
) -> None:
    await say(service, "kiên giang có bảo hiểm thất nghiệp cho người mất việc không")
    text, options, handled = await say(service, "thế lào cai có ko")
    assert handled.outcome.entry is None and handled.outcome.topic == "employment"  # type: ignore[attr-defined]
    assert kb.text("followup_not_in_province").format(province="Lào Cai") in text
    assert "h:1" in options  # an official can be asked


async def test_what_now_after_an_answer_gives_its_steps(service: BotService) -> None:
    await say(service, "kiên giang đặt mục tiêu bao nhiêu người đi xkld")
    _, _, handled = await say(service, "vậy giờ em phải làm sao")
    assert handled.outcome.entry == "kg_xkld_hoi_o_dau"  # type: ignore[attr-defined]
    _, _, handled = await say(service, "cụ thể hơn")
    assert handled.outcome.entry == "kg_xkld_hoi_o_dau"  # type: ignore[attr-defined]


async def test_tell_me_more_with_the_subject_said_again(service: BotService) -> None:
    await say(service, "bên kiên giang có hỗ trợ người bị mua bán trở về không")
    _, _, handled = await say(service, "cụ thể được hỗ trợ những gì")
    assert handled.outcome.entry == "kg_nguoi_bi_mua_ban_tro_ve"  # type: ignore[attr-defined]


async def test_whom_to_ask_in_a_province_named_with_it(service: BotService) -> None:
    await say(service, "muốn đi làm ở nước ngoài đúng luật thì sao")
    _, _, handled = await say(service, "ở kiên giang thì hỏi ai")
    assert (handled.outcome.entry, handled.outcome.province) == ("kg_xkld_hoi_o_dau", "kien-giang")  # type: ignore[attr-defined]
    _, _, handled = await say(service, "còn lào cai thì hỏi ai")
    assert handled.outcome.entry == "lc_co_quan_phu_trach"  # type: ignore[attr-defined]


async def test_what_now_after_a_warning_gives_its_advice(service: BotService, kb: KnowledgeBase) -> None:
    _, _, warned = await say(service, "có người bảo đóng 50 triệu đặt cọc trước là đi Nhật ngay, chưa cần hợp đồng")
    assert warned.outcome.warning  # type: ignore[attr-defined]
    text, _, handled = await say(service, "lam sao gio")
    assert handled.outcome.entry == warned.outcome.entry  # type: ignore[attr-defined]
    assert kb.text("warning_steps") in text and handled.outcome.warning  # type: ignore[attr-defined]  # still a warning


async def test_a_short_question_leans_on_the_related_entries(service: BotService) -> None:
    await say(service, "lào cai có bồi dưỡng trước khi xuất cảnh ko")
    _, _, handled = await say(service, "học tiếng ở đâu")
    assert handled.outcome.entry == "vn_hoc_ngoai_ngu_truoc_khi_di"  # type: ignore[attr-defined]


async def test_a_clear_new_question_is_not_taken_for_a_follow_up(service: BotService) -> None:
    await say(service, "kien giang dua bao nhieu nguoi di xkld moi nam")
    _, _, handled = await say(service, "cai nghien ma tuy bay gio do ai lo")
    assert handled.outcome.entry == "vn_cai_nghien_cong_an"  # type: ignore[attr-defined]
    _, _, handled = await say(service, "cảm ơn nhé")
    assert handled.outcome.topic == "chitchat"  # type: ignore[attr-defined]


@pytest.mark.parametrize("answer", ["em ở lào cai", "lao cai", "Yên Bái ạ", "e o sa pa"])
async def test_a_province_typed_as_the_answer_to_the_province_question(service: BotService, answer: str) -> None:
    _, _, asked = await say(service, "tỉnh mình mỗi năm đưa bao nhiêu lao động đi nước ngoài vậy")
    assert asked.outcome.kind == "ask_province"  # type: ignore[attr-defined]
    _, _, handled = await say(service, answer)
    assert (handled.outcome.entry, handled.outcome.province) == ("lc_muc_tieu_xkld", "lao-cai")  # type: ignore[attr-defined]


async def test_a_district_named_in_passing_sets_the_province(service: BotService) -> None:
    _, _, handled = await say(service, "em ở mường khương, muốn đi làm nước ngoài thì hỏi ở đâu")
    assert (handled.outcome.entry, handled.outcome.province) == ("lc_co_quan_phu_trach", "lao-cai")  # type: ignore[attr-defined]
    _, _, handled = await say(service, "mỗi năm tỉnh đưa bao nhiêu người đi")
    assert handled.outcome.entry == "lc_muc_tieu_xkld"  # type: ignore[attr-defined]


async def test_another_province_in_passing_keeps_the_plan_province(service: BotService) -> None:
    await say(service, "em ở lào cai")
    _, _, handled = await say(service, "em muốn ra hà nội học tiếng trước khi đi nhật")
    assert handled.outcome.state.province == "lao-cai"  # type: ignore[attr-defined]


async def test_a_document_is_not_a_district(service: BotService) -> None:
    _, _, handled = await say(service, "gửi văn bản cho sở nội vụ thế nào")
    assert handled.outcome.state.province is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "topic", "entry"),
    [
        ("viec lam", "employment", "vn_so_noi_vu_viec_lam"),
        ("hoc nghe", "vocational", "vn_giao_duc_nghe_nghiep_co_quan_moi"),
        ("xkld", "work_abroad", "vn_di_lam_viec_nuoc_ngoai_hop_phap"),
    ],
)
async def test_a_bare_topic_says_where_to_go_and_offers_the_rest(
    service: BotService, kb: KnowledgeBase, text: str, topic: str, entry: str
) -> None:
    reply, options, handled = await say(service, text)
    assert handled.outcome.entry == entry and handled.outcome.topic == topic  # type: ignore[attr-defined]
    assert kb.text("not_in_plans") not in reply
    assert options and all(kb.entries[p[2:]].topic == topic and p[2:] != entry for p in options)


@pytest.mark.parametrize(
    ("topic_text", "place", "entry"),
    [("hoc nghe", "kien giang", "kg_dao_tao_nghe"), ("tìm việc làm", "Rạch Giá", "kg_co_quan_viec_lam")],
)
async def test_a_place_after_a_bare_topic_gives_that_provinces_office(
    service: BotService, topic_text: str, place: str, entry: str
) -> None:
    await say(service, topic_text)
    _, _, handled = await say(service, place)
    assert handled.outcome.entry == entry and handled.outcome.state.province == "kien-giang"  # type: ignore[attr-defined]


async def test_a_place_after_the_legal_way_abroad_gives_that_provinces_office(service: BotService) -> None:
    await say(service, "muốn đi làm nước ngoài theo hợp đồng thì hỏi cơ quan nào")
    _, _, handled = await say(service, "lao cai")
    assert handled.outcome.entry == "lc_co_quan_phu_trach"  # type: ignore[attr-defined]


def test_a_turn_is_judged_on_the_keys_it_gives() -> None:
    got = {"entry": "lc_muc_tieu_xkld", "province": "lao-cai", "topic": "work_abroad", "warning": False}
    assert misses({"entry": ["kg_muc_tieu_xkld", "lc_muc_tieu_xkld"], "urgent": False}, got) == []
    assert misses({"entry": None}, got) == ["entry='lc_muc_tieu_xkld' (expected None)"]
    assert misses({}, {}) == []


async def test_another_plans_answer_says_whose_plan_it_is(service: BotService, kb: KnowledgeBase) -> None:
    await say(service, "em ở mường khương")
    text, _, handled = await say(service, "bảo hiểm thất nghiệp")
    assert handled.outcome.entry == "kg_bao_hiem_that_nghiep"  # type: ignore[attr-defined]
    note = kb.text("other_plan_note").format(province="Lào Cai", plan=kb.provinces["kien-giang"].name)
    assert text.startswith(kb.entries["kg_bao_hiem_that_nghiep"].first_screen)  # the answer first, then whose plan
    assert note in text


async def test_the_previous_turn_travels_in_the_rasa_slots(service: BotService) -> None:
    _, _, handled = await say(service, "mỗi năm kiên giang đưa bao nhiêu người đi xkld")
    outcome = handled.outcome  # type: ignore[attr-defined]
    slots = slots_for(outcome, outcome.state)
    assert state_from_slots(slots).last == {"topic": "work_abroad", "entry": "kg_muc_tieu_xkld", "kind": "answer"}


def test_a_follow_up_is_resolved_whatever_the_engine_makes_of_it(kb: KnowledgeBase) -> None:
    """The step alone: state and reading decide; an engine sure of another entry does not hijack it."""
    responder = Responder(kb, Policy.load())
    state = State(last={"topic": "work_abroad", "entry": "kg_muc_tieu_xkld", "kind": "answer"})
    wrong = Understanding(
        intent="faq/lc_lao_dong_tro_ve",
        topic="work_abroad",
        topic_confidence=0.97,
        ranking=(Candidate("faq/lc_lao_dong_tro_ve", "work_abroad", 0.96),),
    )
    text = "còn Lào Cai thì sao"
    outcome = responder.respond(state, Turn(kind="text", text=text, norm=normalize(text)), wrong)
    assert (outcome.entry, outcome.province, outcome.state.province) == ("lc_muc_tieu_xkld", "lao-cai", "lao-cai")
    assert outcome.state.last == {"topic": "work_abroad", "entry": "lc_muc_tieu_xkld", "kind": "answer"}
    sure = Understanding(
        intent="faq/vn_cai_nghien_cong_an",
        topic="social_assistance",
        topic_confidence=0.95,
        ranking=(Candidate("faq/vn_cai_nghien_cong_an", "social_assistance", 0.9),),
    )
    text = "cai nghien ma tuy gio ai lo"  # a new question the engine is sure of
    outcome = responder.respond(outcome.state, Turn(kind="text", text=text, norm=normalize(text)), sure)
    assert outcome.entry == "vn_cai_nghien_cong_an"


# --- a bare place after an answer, where/who, staying in a situation, fees, why (followups2) ---


@pytest.mark.parametrize(
    ("first", "place", "entry"),
    [
        ("mỗi năm tạo được bao nhiêu việc làm mới", "em o rach gia", "kg_muc_tieu_viec_lam"),
        ("bị mất việc thì có bảo hiểm thất nghiệp không", "tan hiep", "kg_bao_hiem_that_nghiep"),
        ("đi làm nước ngoài về rồi thì có được hỗ trợ gì không", "e o lao cai", "lc_lao_dong_tro_ve"),
        ("muốn đi làm nước ngoài thì hỏi ai", "bên Mường Khương", "lc_co_quan_phu_trach"),
        ("hoc nghe co duoc ho tro gi khong ad", "kien giang a", "kg_dao_tao_nghe"),  # after a fallback
    ],
)
async def test_a_bare_place_after_an_answer_asks_it_again_there(
    service: BotService, first: str, place: str, entry: str
) -> None:
    await say(service, first)
    _, _, handled = await say(service, place)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]


async def test_where_after_an_answer_stays_on_it_and_names_the_office(service: BotService) -> None:
    await say(service, "kiên giang có dạy nghề cho lao động nông thôn không")
    text, _, handled = await say(service, "học ở đâu")
    assert handled.outcome.entry == "kg_dao_tao_nghe"  # type: ignore[attr-defined]
    assert "Sở Giáo dục và Đào tạo" in text and "không ghi địa điểm" in text
    await say(service, "lao cai moi nam dua bao nhieu nguoi di xkld", user="u2")
    _, _, handled = await say(service, "học ở đâu", user="u2")  # a course, after a work-abroad target
    assert handled.outcome.topic == "pre_departure"  # type: ignore[attr-defined]


async def test_a_follow_up_after_trouble_abroad_stays_urgent(service: BotService, kb: KnowledgeBase) -> None:
    _, _, first = await say(service, "chồng em ở đài loan bị chủ giữ hộ chiếu không trả lương")
    assert first.outcome.urgent  # type: ignore[attr-defined]
    for follow_up in ("số nào gọi được", "số đt là gì ạ", "nhà em ở Bát Xát", "giờ làm sao"):
        text, options, handled = await say(service, follow_up)
        assert handled.outcome.urgent and handled.outcome.entry == "vn_bao_ho_cong_dan_nuoc_ngoai"  # type: ignore[attr-defined]
        assert kb.text("urgent_intro") in text and "h:1" in options
    assert handled.outcome.province == "lao-cai"  # type: ignore[attr-defined]


async def test_what_it_costs_stays_on_the_topic_and_gives_no_figure(service: BotService, kb: KnowledgeBase) -> None:
    await say(service, "kiên giang có dạy nghề không")
    text, options, handled = await say(service, "học phí bao nhiêu")
    assert (handled.outcome.entry, handled.outcome.topic) == (None, "vocational")  # type: ignore[attr-defined]
    assert kb.text("no_fees") in text and "h:1" in options


@pytest.mark.parametrize(
    ("first", "follow_up", "entry", "topic"),
    [  # "why?" after an answer: its first related entry; a confident new question stays new
        (
            "lào cai mỗi năm đưa bao nhiêu người đi làm nước ngoài",
            "sao tỉnh lại muốn vậy",
            "lc_muc_tieu_chung",  # why the plan wants it: its general goal
            None,
        ),
        (
            "kiên giang mỗi năm đưa bao nhiêu người đi xklđ",
            "trẻ em bị xâm hại thì báo cho ai",
            None,
            "social_assistance",
        ),
    ],
)
async def test_why_gives_a_related_entry_and_a_new_question_stays_new(
    service: BotService, first: str, follow_up: str, entry: str | None, topic: str | None
) -> None:
    await say(service, first)
    _, _, handled = await say(service, follow_up)
    outcome = handled.outcome  # type: ignore[attr-defined]
    assert (outcome.entry if entry else outcome.topic) == (entry or topic)


# --- third round: the situations the outsiders' conversations still missed --------------------


async def test_asking_the_hotline_or_the_papers_after_trouble_abroad_stays_urgent(service: BotService) -> None:
    for user, follow_up in (("a", "số hotline"), ("b", "cần làm giấy tờ gì, liên hệ ai"), ("c", "gọi số nào")):
        _, _, first = await say(service, "con tôi ở Nhật bị tai nạn lao động, công ty không lo", user=user)
        assert first.outcome.urgent  # type: ignore[attr-defined]
        _, options, handled = await say(service, follow_up, user=user)
        assert handled.outcome.urgent and handled.outcome.entry == "vn_bao_ho_cong_dan_nuoc_ngoai"  # type: ignore[attr-defined]
        assert "h:1" in options


@pytest.mark.parametrize("follow_up", ["vậy có đòi lại được không", "lay lai tien duoc ko"])
async def test_getting_the_money_back_after_a_warning_keeps_the_warning(
    service: BotService, kb: KnowledgeBase, follow_up: str
) -> None:
    _, _, warned = await say(service, "em đã đóng 80 triệu cho người môi giới đi Hàn mà giờ họ không nghe máy")
    assert warned.outcome.warning  # type: ignore[attr-defined]
    text, _, handled = await say(service, follow_up)
    assert handled.outcome.warning  # type: ignore[attr-defined]
    assert handled.outcome.entry in ("vn_canh_bao_moi_gioi_bat_hop_phap", "lc_khong_di_trai_phep")  # type: ignore[attr-defined]
    assert kb.text("warning_steps") in text


@pytest.mark.parametrize(
    ("plan", "follow_up", "entry"),
    [
        ("kế hoạch 280 của lào cai là gì", "chỉ tiêu mỗi năm?", "lc_muc_tieu_xkld"),
        ("kế hoạch của tỉnh kiên giang về lao động nói gì", "chỉ tiêu mỗi năm?", "kg_muc_tieu_xkld"),
        ("kế hoạch của tỉnh kiên giang về lao động nói gì", "sở nào làm", "kg_phan_cong_so_nganh_ke_hoach_18"),
        ("ke hoach 280 lao cai noi ve gi", "ai lam", "lc_co_quan_phu_trach"),
        # another topic after an answer keeps the province
        ("kiên giang có hỗ trợ học nghề không", "còn xkld thì sao", "kg_xkld_hoi_o_dau"),
        ("lào cai mỗi năm đưa bao nhiêu người đi làm nước ngoài", "còn học nghề thì sao", "lc_dao_tao_nghe"),
    ],
)
async def test_a_plan_part_or_another_topic_follows_the_previous_answer(
    service: BotService, plan: str, follow_up: str, entry: str
) -> None:
    await say(service, plan)
    _, _, handled = await say(service, follow_up)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]


@pytest.mark.parametrize(("follow_up", "lead"), [("số điện thoại", "no_contact"), ("nhật được ko", "not_in_plans")])
async def test_a_phone_or_a_country_the_plans_do_not_give_is_not_guessed(
    service: BotService, kb: KnowledgeBase, follow_up: str, lead: str
) -> None:
    await say(service, "kiên giang muốn đi xkld thì hỏi ở đâu")
    text, options, handled = await say(service, follow_up)
    assert handled.outcome.entry is None and kb.text(lead) in text and "h:1" in options  # type: ignore[attr-defined]


async def test_a_relative_in_a_province_is_that_province(service: BotService) -> None:
    await say(service, "hoc nghe co duoc ho tro khong")
    _, _, handled = await say(service, "con trai em ở rạch giá thì sao")
    assert (handled.outcome.entry, handled.outcome.province) == ("kg_dao_tao_nghe", "kien-giang")  # type: ignore[attr-defined]
    question = "Tui ở Phú Quốc, thằng con đi Nhật về rồi, tỉnh có giúp kiếm việc hông"
    _, _, handled = await say(service, question, user="b")
    assert handled.outcome.province != "lao-cai"  # type: ignore[attr-defined]  # not the other plan's entry


def test_every_plan_part_and_main_entry_exists(rules: ContextRules, kb: KnowledgeBase) -> None:
    assert check_context(rules, kb) == []
    assert rules.plan_parts and rules.main_by_topic


@pytest.mark.parametrize(
    ("text", "warning"),
    [
        (
            "vợ em sang Đài Loan làm giúp việc, mười ngày nay gọi mãi không ai nghe máy, chủ nhà cũng không trả lời",
            False,
        ),
        # a scam told as well (held, unpaid, shut in): still the hotline first, the official offered with it
        (
            "chồng tui qua Hàn, chủ giữ hộ chiếu, ba tháng không trả lương, nhốt trong trại không cho ra, cán bộ ơi",
            None,
        ),
    ],
)
def test_a_long_story_of_trouble_abroad_read_as_asking_for_a_person_gets_the_hotline(
    kb: KnowledgeBase, text: str, warning: bool | None
) -> None:
    responder = Responder(kb, Policy.load())
    und = Understanding(
        intent="human", topic="human", topic_confidence=0.9, ranking=(Candidate("human", "human", 0.9),)
    )
    outcome = responder.respond(State(greeted=True), Turn("text", text, normalize(text)), und)
    assert outcome.urgent and outcome.entry == responder.brokers.rules.urgent_entry
    assert outcome.kind != "handoff" and any(o.payload == "h:1" for o in outcome.reply.options)
    assert warning is None or outcome.warning == warning


@pytest.mark.parametrize(
    ("text", "entry", "topic"),
    [
        ("em ở Sa Pa, vừa đi Hàn về, giờ muốn tìm việc", "lc_lao_dong_tro_ve", "work_abroad"),
        # a place of a province with no returnee entry of its own: the national one, not its job office
        ("Tui ở Hòn Đất, đi Nhật về được nửa năm, giờ muốn xin việc thì tới đâu", "vn_lao_dong_tro_ve", "work_abroad"),
        # how to go lawfully, asked with a place: the steps themselves, not the province's office
        (
            "ở Hòn Đất, đi làm nước ngoài cho đúng luật cần chuẩn bị gì",
            "vn_di_lam_viec_nuoc_ngoai_hop_phap",
            "work_abroad",
        ),
        ("o Muong Khuong di xkld cho dung luat thi lam the nao", "vn_di_lam_viec_nuoc_ngoai_hop_phap", "work_abroad"),
        # whom to ask, with a place: that province's office (Lào Cai's answers for work and for going abroad)
        ("em ở Bát Xát, muốn đi xuất khẩu lao động thì hỏi cơ quan nào", "lc_co_quan_phu_trach", "employment"),
    ],
)
async def test_a_province_named_with_a_national_question_gets_its_own_entry(
    service: BotService, text: str, entry: str, topic: str
) -> None:
    _, _, handled = await say(service, text)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]
    assert handled.outcome.topic == topic  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "entry"), [("kế hoạch 280 nói gì vậy", "lc_ke_hoach_280"), ("ke hoach so 18 la gi", "kg_ke_hoach_tinh")]
)
async def test_a_plan_named_by_its_number_is_answered_without_asking_the_province(
    service: BotService, text: str, entry: str
) -> None:
    _, _, handled = await say(service, text)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]
