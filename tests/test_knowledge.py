"""`laodong kb check`: the knowledge base holds only what its sources say."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from knowledge.check import canonical_number, check_knowledge
from knowledge.model import ENTRY_TOPICS, SCOPES, KnowledgeBase, load_knowledge
from nlu.normalize import fold_key

REPO_KNOWLEDGE = Path(__file__).resolve().parents[1] / "knowledge"


def test_shipped_knowledge_base_passes_its_checks(kb: KnowledgeBase) -> None:
    assert check_knowledge(kb, question_key=fold_key) == []


def test_shipped_knowledge_base_covers_every_topic_and_province(kb: KnowledgeBase) -> None:
    assert len(kb.entries) >= 60
    assert {e.topic for e in kb.entries.values()} == set(ENTRY_TOPICS)
    assert {e.scope for e in kb.entries.values()} == set(SCOPES)
    assert all(len(e.examples) >= 5 for e in kb.entries.values())


def test_province_figures_stay_with_their_province(kb: KnowledgeBase) -> None:
    lao_cai = " ".join(e.answer for e in kb.entries.values() if e.scope == "lao-cai")
    kien_giang = " ".join(e.answer for e in kb.entries.values() if e.scope == "kien-giang")
    assert "200" in lao_cai and "40%" in lao_cai
    assert "15.000" in kien_giang and "1.000" in kien_giang
    assert "15.000" not in lao_cai


def test_reorganisation_has_entries_of_its_own(kb: KnowledgeBase) -> None:
    reorg = [e for e in kb.entries.values() if [s.doc for s in e.sources] == ["sapxep-2025"]]
    assert len(reorg) >= 3
    assert any("Sở Nội vụ" in e.answer for e in reorg)


@pytest.mark.parametrize(("token", "canonical"), [("1.000", "1000"), ("06", "6"), ("21/06/2023", "21/6/2023")])
def test_numbers_compare_without_leading_zeros_or_separators(token: str, canonical: str) -> None:
    assert canonical_number(token) == canonical


def _entry(**overrides: Any) -> dict[str, Any]:
    entry = {
        "id": "lc_thu",
        "title": "Mục tiêu của Lào Cai",
        "answer": "Lào Cai phấn đấu mỗi năm đưa khoảng 200 người đi làm việc ở nước ngoài theo hợp đồng.",
        "sources": [{"doc": "lc-280-2023", "section": "II.2"}],
        "examples": ["câu một", "cau hai", "câu ba nè", "cau bon ne", "câu năm đây"],
        "related": [],
        "reviewed": "2026-11-24",
    }
    entry.update(overrides)
    return entry


def _knowledge_with(tmp_path: Path, *entries: dict[str, Any]) -> KnowledgeBase:
    root = tmp_path / "knowledge"
    root.mkdir(parents=True)
    for name in ("documents.yaml", "responses.yaml", "provinces.yaml"):
        shutil.copy(REPO_KNOWLEDGE / name, root / name)
    shutil.copytree(REPO_KNOWLEDGE / "sources", root / "sources")
    (root / "entries" / "lao-cai").mkdir(parents=True)
    data = {"scope": "lao-cai", "topic": "work_abroad", "entries": list(entries)}
    (root / "entries" / "lao-cai" / "work_abroad.yaml").write_text(yaml.safe_dump(data, allow_unicode=True))
    return load_knowledge(root)


def test_a_well_formed_entry_passes(tmp_path: Path) -> None:
    assert check_knowledge(_knowledge_with(tmp_path, _entry()), question_key=fold_key) == []


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"answer": "Mỗi năm đưa khoảng 300 người đi."}, "figure '300'"),
        ({"sources": []}, "no source"),
        ({"sources": [{"doc": "khong-co", "section": "I"}]}, "not in documents.yaml"),
        ({"sources": [{"doc": "lc-280-2023", "section": ""}]}, "has no section"),
        ({"examples": ["một", "hai"]}, "at least 5"),
        ({"related": ["lc_khong_ton_tai"]}, "does not exist"),
        ({"answer": "Xem thêm tại www.example.vn nhé."}, "web link"),
        ({"answer": "Gọi số 0912 345 678 để hỏi."}, "phone number"),
        ({"answer": "Phí đi là 200 triệu đồng."}, "fee or price"),
        ({"answer": "Hỏi Sở Lao động - Thương binh và Xã hội tỉnh."}, "former office"),
        (
            {
                "answer": "Bạn hỏi Sở Nội vụ tỉnh. Kế hoạch ghi Sở Lao động - Thương binh và Xã hội, sở này không còn.",
                "sources": [{"doc": "lc-280-2023", "section": "III.1"}, {"doc": "sapxep-2025", "section": "Sở"}],
            },
            "former office",  # the change is said once per conversation, not in every entry
        ),
        ({"answer": "Bạn hỏi Sở Nội vụ tỉnh Lào Cai."}, "cite sapxep-2025"),
        ({"answer": " ".join(["Lào Cai phấn đấu đưa người đi làm việc ở nước ngoài."] * 6)}, "first screen"),
        ({"answer": "x" * 801}, "at most 800"),
        ({"reviewed": "sắp tới"}, "not a date"),
    ],
)
def test_checker_refuses_what_a_worker_must_not_be_told(
    tmp_path: Path, overrides: dict[str, Any], complaint: str
) -> None:
    problems = check_knowledge(_knowledge_with(tmp_path, _entry(**overrides)), question_key=fold_key)
    assert any(complaint in p for p in problems), problems


def test_a_short_first_screen_with_details_after_passes(tmp_path: Path) -> None:
    details = " ".join(["Kế hoạch cũng muốn người lao động được bồi dưỡng trước khi xuất cảnh."] * 5)
    entry = _entry(answer=f"Lào Cai phấn đấu mỗi năm đưa khoảng 200 người đi làm việc ở nước ngoài.\n\n{details}")
    assert check_knowledge(_knowledge_with(tmp_path, entry), question_key=fold_key) == []


def test_the_reorganisation_entries_may_name_the_former_office(tmp_path: Path) -> None:
    entry = _entry(
        answer="Từ 1/3/2025, Sở Lao động - Thương binh và Xã hội không còn; việc làm nay do Sở Nội vụ phụ trách.",
        sources=[{"doc": "sapxep-2025", "section": "Sở"}],
    )
    assert check_knowledge(_knowledge_with(tmp_path, entry), question_key=fold_key) == []


def test_the_office_change_note_is_checked_against_the_2025_notes(tmp_path: Path) -> None:
    kb = _knowledge_with(tmp_path, _entry())
    kb.responses["office_change"] = {"note": "Sở cũ không còn từ 1/4/2025; nay do {offices}.", "offices": ["Sở Nội vụ"]}
    problems = check_knowledge(kb, question_key=fold_key)
    assert any("must name the former office" in p for p in problems)
    assert any("figure '1/4/2025'" in p for p in problems)
    del kb.responses["office_change"]
    assert any("missing 'office_change'" in p for p in check_knowledge(kb, question_key=fold_key))


def test_checker_refuses_duplicate_ids_and_example_questions(tmp_path: Path) -> None:
    twin = _entry(examples=["Câu Một", "khac hai", "khac ba", "khac bon", "khac nam"])
    problems = check_knowledge(_knowledge_with(tmp_path, _entry(), twin), question_key=fold_key)
    assert any("duplicate id" in p for p in problems)
    other = _entry(id="lc_khac", examples=["cau mot", "khac hai", "khac ba", "khac bon", "khac nam"])
    problems = check_knowledge(_knowledge_with(tmp_path / "b", _entry(), other), question_key=fold_key)
    assert any("duplicates one of lc_thu" in p for p in problems)


def test_dates_in_the_sources_count_in_any_written_form(tmp_path: Path) -> None:
    entry = _entry(
        answer="Kế hoạch ban hành ngày 21/6/2023, Sở Nội vụ nhận việc từ 1/3/2025.",
        sources=[{"doc": "lc-280-2023", "section": "đầu văn bản"}, {"doc": "sapxep-2025", "section": "Sở"}],
    )
    assert check_knowledge(_knowledge_with(tmp_path, entry), question_key=fold_key) == []
