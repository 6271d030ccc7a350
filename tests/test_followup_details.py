"""A detail of the answer just given, a place given in passing, a topic switched: what the worker gets."""

from __future__ import annotations

import pytest

from actions.context import ContextRules
from bot.service import BotService
from tests.test_dialogue import say


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("hội chợ đó diễn ra ở chỗ nào", "where"),
        ("khoa do hoc may thang z", "duration"),
        ("hok bik hoc bao lau vay ad", "duration"),
        ("dạy những nghề nào vậy ad", "which"),
        ("qua đó lương tháng được nhiêu", "wage"),
        ("lỡ ông bà cũng không nhận nuôi thì làm sao", "if"),
        ("đi học vậy có mất phí hông", "cost"),
        ("học bn lâu z shop", "duration"),
        ("thế lương bên Hàn tầm bao nhiêu", "wage"),
        ("nếu ở lào cai thì sao", "if"),
        ("nha o Kien Luong", None),  # a place's own words ("Lương") ask nothing
    ],
)
def test_a_detail_asked_is_read(text: str, detail: str | None) -> None:
    assert ContextRules.load().read(text).detail == detail


@pytest.mark.parametrize(
    ("first", "detail", "entry", "said"),
    [
        (
            "kiên giang có hội chợ việc làm không",
            "hội chợ đó diễn ra ở chỗ nào",
            "kg_phien_giao_dich_viec_lam",
            "không ghi địa điểm",
        ),
        (
            "lao cai co boi duong truoc khi di khong",
            "khoa do hoc may thang z",
            "lc_boi_duong_truoc_xuat_canh",
            "không nói mất bao lâu",
        ),
        (
            "kiên giang có liên kết dạy nghề với nước ngoài không",
            "dạy những nghề nào vậy ad",
            "kg_lien_ket_dao_tao_nghe_asean",
            "không kể thêm tên",
        ),
        (
            "Tân Hiệp có lớp học làm nông nghiệp công nghệ cao không",
            "hok bik hoc bao lau vay ad",
            "kg_dao_tao_nong_nghiep_cong_nghe_cao",
            "không nói mất bao lâu",
        ),
        # the plan's own number and date: the entry again, its source line names them
        (
            "kế hoạch 280 của lào cai nói gì",
            "văn bản ấy ký ngày nào vậy",
            "lc_ke_hoach_280",
            "280/KH-UBND ngày 21/6/2023",
        ),
        # something the entry just given does not hold, pointed at: said on that entry
        (
            "kiên giang có trường nghề đạt chuẩn khu vực không",
            "cơ sở đó có xa không ad",
            "kg_co_so_nghe_dat_cap_do_khu_vuc",
            "không nói điều bạn hỏi",
        ),
        # "which month" of the action month: its own answer says the plan names none
        (
            "kiên giang có tháng hành động an toàn lao động không",
            "vào tháng mấy z",
            "kg_thang_hanh_dong_atvsld",
            "không nêu tháng nào",
        ),
        # whom to ask, after an answer that names its office and has no steps of its own
        (
            "quyền lợi của người lao động theo pháp luật lao động ở kiên giang",
            "thế lên đâu hỏi",
            "kg_phap_luat_lao_dong",
            "Sở Nội vụ",
        ),
    ],
)
async def test_a_detail_stays_on_the_entry_and_says_what_the_plan_lacks(
    service: BotService, first: str, detail: str, entry: str, said: str
) -> None:
    _, _, before = await say(service, first)
    assert before.outcome.entry == entry  # type: ignore[attr-defined]
    text, _, handled = await say(service, detail)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]
    assert said in text
    assert "cán bộ" in text or handled.outcome.answered  # type: ignore[attr-defined]  # not given: an official offered
    _, _, handoff = await say(service, "có")  # the official offered takes the question
    assert handoff.outcome.kind == "handoff"  # type: ignore[attr-defined]


async def test_wages_and_an_office_address_are_not_in_any_plan(service: BotService) -> None:
    await say(service, "lao cai uu tien di nuoc nao")
    text, _, handled = await say(service, "qua đó lương tháng được nhiêu")
    assert handled.outcome.entry is None and handled.outcome.topic == "work_abroad"  # type: ignore[attr-defined]
    assert "không nói mức lương" in text
    await say(service, "người già neo đơn ở Kiên Giang có được trợ giúp gì không", user="u3")
    text, _, handled = await say(service, "vậy mỗi tháng lãnh được bao nhiêu", user="u3")  # a benefit's amount
    assert handled.outcome.entry is None and handled.outcome.topic == "social_assistance"  # type: ignore[attr-defined]
    assert "tiền trợ cấp" in text
    await say(service, "lao cai co day nghe cho thanh nien ko", user="u4")
    text, _, handled = await say(service, "hoc vay co ton xu nao ko", user="u4")  # a fee, on what was just said
    assert handled.outcome.entry is None and handled.outcome.topic == "vocational"  # type: ignore[attr-defined]
    assert "không nói học phí" in text
    await say(service, "kiên giang có hội chợ việc làm không", user="u5")
    text, _, handled = await say(service, "khi nao co dot toi vay ad", user="u5")  # a date: in no plan
    assert handled.outcome.entry is None and handled.outcome.topic == "employment"  # type: ignore[attr-defined]
    assert "không ghi ngày" in text
    await say(service, "kiên giang muốn tìm việc thì hỏi ai", user="u2")
    text, _, handled = await say(service, "địa chỉ ở đâu vậy", user="u2")
    assert handled.outcome.entry is None and "không ghi số điện thoại hay địa chỉ" in text  # type: ignore[attr-defined]


async def test_a_detail_naming_another_subject_is_a_question_of_its_own(service: BotService) -> None:
    await say(service, "kiên giang có hội chợ việc làm không")
    _, _, handled = await say(service, "học nghề ở đâu")
    assert handled.outcome.topic == "vocational"  # type: ignore[attr-defined]
    await say(service, "di xkld hop phap thi lam the nao vay", user="u2")
    _, _, handled = await say(service, "neu o lao cai thi sao", user="u2")  # a place: that province's answer
    assert handled.outcome.entry == "lc_co_quan_phu_trach"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("first", "then", "entry", "province"),
    [
        (
            "đi làm nước ngoài hợp pháp thì thế nào",
            "nhà tui ở Hà Tiên thì ra đâu hỏi",
            "kg_xkld_hoi_o_dau",
            "kien-giang",
        ),
        (
            "có ông môi giới đòi đặt cọc 50 triệu đi Úc, không cần hợp đồng",
            "nhà em ở Bảo Thắng, giờ liên hệ cơ quan nào",
            "lc_co_quan_phu_trach",
            "lao-cai",
        ),
        # learning the language is no part of Lào Cai's pre-departure course: the national answer, in Lào Cai
        ("muốn học tiếng trước khi sang Nhật", "tau o bac ha", "vn_hoc_ngoai_ngu_truoc_khi_di", "lao-cai"),
        ("yên bái nhập vào lào cai hả", "thế còn Kiên Giang", "vn_sap_xep_tinh_2025", "kien-giang"),
        ("học nghề có được hỗ trợ không", "thế còn an sinh xã hội", "vn_so_y_te_bao_tro_xa_hoi", None),
        (
            "kiên giang mỗi năm tạo việc làm cho bao nhiêu người",
            "vậy còn đi làm nước ngoài",
            "kg_muc_tieu_xkld",
            "kien-giang",
        ),
    ],
)
async def test_a_place_or_a_topic_in_passing_leans_on_the_previous_turn(
    service: BotService, first: str, then: str, entry: str, province: str | None
) -> None:
    await say(service, first)
    _, _, handled = await say(service, then)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]
    assert handled.outcome.as_json()["province"] == province  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "then", ["nửa đêm gọi có ai bắt máy không", "gọi đêm được ko chị", "có số nào để gọi khi cần ko"]
)
async def test_calling_at_night_after_trouble_abroad_is_the_hotline_again(service: BotService, then: str) -> None:
    _, _, before = await say(service, "con trai tôi ở Hàn bị chủ đánh, giữ hộ chiếu không cho về")
    assert before.outcome.entry == "vn_bao_ho_cong_dan_nuoc_ngoai"  # type: ignore[attr-defined]
    _, _, handled = await say(service, then)
    assert handled.outcome.entry == "vn_bao_ho_cong_dan_nuoc_ngoai"  # type: ignore[attr-defined]
    assert handled.outcome.as_json()["urgent"] is True  # type: ignore[attr-defined]


async def test_a_topic_asked_of_everyone_is_that_topic(service: BotService) -> None:
    _, _, handled = await say(service, "mọi người ơi cho hỏi học nghề")
    assert handled.outcome.topic == "vocational"  # type: ignore[attr-defined]
    _, _, there = await say(service, "bát xát")  # the place next: that topic there
    assert there.outcome.entry == "lc_dao_tao_nghe"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("first", "then", "entry"),
    [
        # "còn <a subject> thì sao": that subject's own entry, not the topic's main one
        (
            "người khuyết tật ở kiên giang được trợ giúp gì",
            "thế còn việc làm cho người tàn tật",
            "kg_uu_tien_tao_viec_lam",
        ),
        ("kiên giang có phiên giao dịch việc làm không", "còn người từ nước ngoài về thì sao", "vn_lao_dong_tro_ve"),
        # another province's own entry the engine is sure of, where the previous one has no counterpart
        ("kế hoạch 280 của lào cai nhằm mục đích gì", "vậy kiên giang có kế hoạch nào không", "kg_ke_hoach_tinh"),
        # whom to ask about poverty: the entry whose first line names the office
        (
            "nhà em ở Si Ma Cai nghèo lắm, lào cai có giúp thoát nghèo không",
            "vậy hỏi ai ạ",
            "vn_giam_ngheo_co_quan_moi",
        ),
        # tell me more in southern speech; another trade where the worker lives
        ("o rach gia muon tim viec lam thi hoi dau", "nói rõ hơn coi", "kg_co_quan_viec_lam"),
        ("em ở Bảo Yên, đi Đài về muốn tìm việc", "còn học thêm nghề thì sao ạ", "lc_dao_tao_nghe"),
        (
            "tui ở Hòn Đất, muốn đi Hàn thì hỏi chỗ nào",
            "à còn thằng em tui muốn học nghề hàn thì sao",
            "kg_dao_tao_nghe",
        ),
        # the plan's number, date or basis asked after one of its parts: the entry on the plan itself
        ("lào cai tuyên truyền về xuất khẩu lao động thế nào", "kế hoạch đấy số mấy, ký ngày nào", "lc_ke_hoach_280"),
        # what to do when the employer pays no social insurance: that answer, which says whom to ask
        ("cty ở Hòn Đất không đóng bảo hiểm xã hội cho tui", "vậy giờ tui phải làm sao", "kg_bao_hiem_xa_hoi"),
        # the province known before: its own course and its own returnee support, not the national entries
        (
            "nhà cháu ở Bắc Hà, muốn đi xuất khẩu lao động thì hỏi ai",
            "thế có phải học bồi dưỡng gì trước không",
            "lc_boi_duong_truoc_xuat_canh",
        ),
        (
            "lào cai mỗi năm đưa bao nhiêu người đi làm",
            "con nguoi di lam ve roi thi tinh co giup gi ko",
            "lc_lao_dong_tro_ve",
        ),
    ],
)
async def test_a_new_subject_after_an_answer_gets_its_own_entry(
    service: BotService, first: str, then: str, entry: str
) -> None:
    await say(service, first)
    _, _, handled = await say(service, then)
    assert handled.outcome.entry == entry  # type: ignore[attr-defined]


async def test_a_province_without_that_entry_gets_its_plan_on_the_topic_said_to_differ(service: BotService) -> None:
    await say(service, "ở kiên giang học nghề xong có được giới thiệu vào khu công nghiệp không")
    text, _, handled = await say(service, "còn ở lào cai")
    assert handled.outcome.entry == "lc_dao_tao_nghe"  # type: ignore[attr-defined]
    assert text.startswith("Kế hoạch của Lào Cai mà tôi biết không nói riêng về điều này.")
    assert handled.outcome.answered is False  # type: ignore[attr-defined]  # officials see it as unanswered


async def test_a_clear_new_question_after_trouble_abroad_is_answered_for_itself(service: BotService) -> None:
    _, _, before = await say(service, "chồng em sang Đài Loan làm, 3 tuần nay gọi không được")
    assert before.outcome.as_json()["urgent"] is True  # type: ignore[attr-defined]
    _, _, handled = await say(service, "còn em gái em muốn đi làm nước ngoài cho đúng luật thì làm thế nào")
    assert handled.outcome.entry == "vn_di_lam_viec_nuoc_ngoai_hop_phap"  # type: ignore[attr-defined]
    assert handled.outcome.as_json()["urgent"] is False  # type: ignore[attr-defined]


async def test_where_alone_after_an_answer_names_whom_to_ask(service: BotService) -> None:
    await say(service, "mat viec o rach gia co duoc tro cap that nghiep ko")
    text, _, handled = await say(service, "ở đâu")
    assert handled.outcome.entry == "kg_co_quan_viec_lam"  # type: ignore[attr-defined]
    assert "Trung tâm Dịch vụ việc làm" in text


async def test_whom_to_ask_after_an_office_entry_stays_on_that_office_in_a_province(service: BotService) -> None:
    await say(service, "nha em o rach gia")
    await say(service, "cai nghiện ma túy giờ ai quản lý")
    text, _, handled = await say(service, "vay hoi ai")
    assert handled.outcome.entry == "vn_cai_nghien_cong_an"  # type: ignore[attr-defined]
    assert "Công an tỉnh" in text.split("\n\n")[0] and "Sở Y tế" not in text


async def test_a_vague_word_is_not_answered_from_the_other_province_plan(service: BotService) -> None:
    await say(service, "ở kiên giang có trường nghề đạt chuẩn khu vực không")
    text, _, handled = await say(service, "truong nao vay")
    assert handled.outcome.as_json()["province"] == "kien-giang"  # type: ignore[attr-defined]
    assert "Lào Cai" not in text.split("\n\n")[0]


async def test_a_trade_named_after_the_topic_gets_that_topic_there(service: BotService) -> None:
    await say(service, "nhà ở Hòn Đất, có chỗ nào nhận làm hàng thủ công mỹ nghệ ko")
    _, _, handled = await say(service, "còn học nghề đan giỏ tre thì sao")
    assert handled.outcome.topic == "vocational"  # type: ignore[attr-defined]
    assert handled.outcome.entry in ("kg_dao_tao_nghe", "vn_giao_duc_nghe_nghiep_co_quan_moi")  # type: ignore[attr-defined]


async def test_whom_to_ask_leads_with_the_office_the_answer_names_further_down(service: BotService) -> None:
    await say(service, "o kien giang bi cong ty no luong, tranh chap lao dong thi giai quyet the nao")
    text, _, _ = await say(service, "vay gio hoi ai")
    assert "Sở Nội vụ" in text.split("\n\n")[0]


async def test_after_trouble_abroad_a_question_about_paying_ransom_stays_on_the_emergency(
    service: BotService,
) -> None:
    await say(service, "anh tôi bị bắt giữ ở bên Campuchia, tụi nó đòi tiền mới thả")
    _, _, handled = await say(service, "nhà có nên gửi tiền cho tụi nó để chuộc không")
    assert handled.outcome.entry == "vn_bao_ho_cong_dan_nuoc_ngoai"  # type: ignore[attr-defined]
    assert handled.outcome.as_json()["urgent"] is True  # type: ignore[attr-defined]
    _, _, handled = await say(service, "sdt bao nhieu vay")
    assert handled.outcome.entry == "vn_bao_ho_cong_dan_nuoc_ngoai"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "text",
    [
        "xưởng tôi không phát đồ bảo hộ, báo ai",  # safety gear at a workplace at home
        "nha may em ko co do bao ho lao dong thi sao",
        "đi hàn theo eps thì phí bao nhiêu mới là đúng, mỗi người nói một kiểu",
        "cho xin so duong day nong bao ho cong dan de luu san, thang em sap bay",
        "nghe noi mot so cty xkld ko thu phi moi gioi don dieu duong, vay co that ko",
    ],
)
async def test_workplace_safety_the_lawful_way_or_a_number_just_in_case_is_no_scam_story(
    service: BotService, text: str
) -> None:
    _, _, handled = await say(service, text)
    assert handled.outcome.warning is False  # type: ignore[attr-defined]


async def test_whom_to_ask_after_an_entry_naming_no_office_first_is_the_office_own_entry(service: BotService) -> None:
    await say(service, "bình đẳng nam nữ trong việc làm ở kiên giang")
    text, _, handled = await say(service, "thế lên đâu hỏi")
    assert handled.outcome.entry == "vn_binh_dang_gioi_nguoi_co_cong"  # type: ignore[attr-defined]
    assert "Sở Nội vụ" in text.split("\n\n")[0]


@pytest.mark.parametrize(
    ("turns", "entry", "topic"),
    [  # the office named for going abroad is an employment entry; the worker still asks about going abroad
        (
            ["muốn đi làm nước ngoài thì hỏi ở đâu", "bát xát", "mất bao lâu mới đi được"],
            "lc_co_quan_phu_trach",
            "work_abroad",
        ),
        (["cháu ở Bắc Hà, muốn sang Nhật làm việc cho đúng luật", "ton tien ko"], None, "work_abroad"),
        # a benefit's amount after whom to ask about it: still social assistance, and no figure given
        (
            ["con toi bi khuyet tat o an bien, co tro cap gi ko", "hoi o dau", "duoc bao nhieu 1 thang"],
            None,
            "social_assistance",
        ),
    ],
)
async def test_a_detail_after_the_office_in_charge_stays_on_what_was_asked(
    service: BotService, turns: list[str], entry: str | None, topic: str
) -> None:
    for text in turns[:-1]:
        await say(service, text)
    text, options, handled = await say(service, turns[-1])
    assert (handled.outcome.entry, handled.outcome.topic) == (entry, topic)  # type: ignore[attr-defined]
    assert "h:1" in options or entry is not None  # what no plan gives: an official offered
    assert not any(ch.isdigit() for ch in text.split("\n\n")[0])  # no figure of its own


async def test_a_switched_topic_with_a_reason_after_it_keeps_the_province(service: BotService) -> None:
    await say(service, "o tan hiep bi nghi viec, xin bao hiem that nghiep o dau")
    _, _, handled = await say(service, "còn học nghề thì sao, em muốn đổi nghề khác")
    assert handled.outcome.entry == "kg_dao_tao_nghe"  # type: ignore[attr-defined]


async def test_a_trafficking_victim_back_home_gets_the_returnee_support_there(service: BotService) -> None:
    _, _, handled = await say(
        service, "chị em bị bán qua Campuchia, mới về lại Kiên Lương, giờ có ai giúp chị làm ăn không"
    )
    outcome = handled.outcome
    assert (outcome.warning, outcome.urgent, outcome.entry) == (False, False, "kg_nguoi_bi_mua_ban_tro_ve")  # type: ignore[attr-defined]
    assert outcome.province == "kien-giang"  # type: ignore[attr-defined]


async def test_a_detail_of_an_ordinary_answer_is_no_scam_story(service: BotService) -> None:
    await say(service, "bảo hiểm thất nghiệp ở Hòn Đất thì ai lo")
    _, _, handled = await say(service, "nop giay to bao lau moi lanh duoc tien vay")
    outcome = handled.outcome
    assert (outcome.warning, outcome.topic) == (False, "employment")  # type: ignore[attr-defined]
