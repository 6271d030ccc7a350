"""The 2025 office change asked about one subject, a plan's own course where no province is known,
and places in the text the model sees (issue 12)."""

from __future__ import annotations

import pytest

from actions.respond import Responder
from actions.turns import Turn
from actions.types import Outcome, Policy, State
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine, prepare
from nlu.normalize import normalize


def ask(kb: KnowledgeBase, engine: EmbeddedEngine, text: str, state: State | None = None) -> Outcome:
    norm = normalize(text)
    return Responder(kb, Policy.load()).respond(
        state or State(greeted=True), Turn("text", text, norm), engine.understand(norm)
    )


@pytest.mark.parametrize(
    ("text", "office"),
    [
        # one subject named: its office, not the note on the whole change
        ("cai nghien bay gio con thuoc so lao dong thuong binh xa hoi khong", "vn_cai_nghien_cong_an"),
        ("sở lđtbxh giải thể rồi thì giờ muốn học nghề phải hỏi sở nào", "vn_giao_duc_nghe_nghiep_co_quan_moi"),
        ("so lao dong tb xh bo roi, gio ho ngheo hoi co quan nao", "vn_giam_ngheo_co_quan_moi"),
        ("sở lao động thương binh và xã hội còn không, muốn tìm việc làm thì giờ tới đâu", "vn_so_noi_vu_viec_lam"),
        # the old office alone, or several subjects asked of it: the note on the whole change
        ("Sở Lao động Thương binh và Xã hội giải thể rồi hả, việc của sở giờ chuyển về đâu", "vn_sap_xep_so_2025"),
        ("sở lao động thương binh xã hội bỏ rồi thì trẻ em với cai nghiện giờ về đâu", "vn_sap_xep_so_2025"),
        # the district level gone, going abroad asked: the province's office
        ("em ở Bát Xát, giờ bỏ cấp huyện rồi thì muốn đi xuất khẩu lao động hỏi ai", "lc_co_quan_phu_trach"),
    ],
)
def test_an_office_question_after_the_2025_change_gets_the_office_it_asks_about(
    kb: KnowledgeBase, engine: EmbeddedEngine, text: str, office: str
) -> None:
    outcome = ask(kb, engine, text)
    assert outcome.kind == "answer" and outcome.entry == office
    assert outcome.reply.sources  # cited like every answer


def test_the_course_before_departure_is_the_national_one_until_a_province_is_known(
    kb: KnowledgeBase, engine: EmbeddedEngine
) -> None:
    unknown = ask(kb, engine, "thang con dau don hang roi, truoc khi bay no phai hoc nhung gi vay")
    assert unknown.entry == "vn_boi_duong_kien_thuc_can_thiet"
    in_lao_cai = ask(
        kb,
        engine,
        "thang con dau don hang roi, truoc khi bay no phai hoc nhung gi vay",
        State(greeted=True, province="lao-cai"),
    )
    assert in_lao_cai.entry == "lc_boi_duong_truoc_xuat_canh"


def test_a_district_reaches_the_model_as_its_province_and_a_common_phrase_stays_itself() -> None:
    assert "kien giang" in prepare(normalize("E ở Hòn Đất, tính đi Nhật làm")) and "hon dat" not in prepare(
        normalize("E ở Hòn Đất")
    )
    assert "lao cai" in prepare(normalize("chau o muong khuong"))
    assert prepare(normalize("gui van ban cho xa")) == " gui van ban cho xa "  # "văn bản", no place word before it
    assert "lao cai" in prepare(normalize("nha o van ban"))


def test_a_district_named_with_a_question_is_read_as_its_province_named(
    kb: KnowledgeBase, engine: EmbeddedEngine
) -> None:
    district = ask(kb, engine, "anh ở Tân Hiệp, muốn đi Nhật làm thì tới cơ quan nào hỏi")
    province = ask(kb, engine, "anh ở Kiên Giang, muốn đi Nhật làm thì tới cơ quan nào hỏi")
    assert district.kind == province.kind == "answer"
    assert district.entry == province.entry == "kg_xkld_hoi_o_dau"
    assert district.reply.text == province.reply.text
