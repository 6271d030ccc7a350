"""Unanswered questions: grouping, linking a group to an entry (and the bot learning it), marking handled."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
import yaml

from bot.admin.grouping import Question, group_questions
from bot.admin.kbedit import KnowledgeEditError, add_examples, with_examples
from bot.admin.queries import Dashboard
from bot.kbstore import ensure_published, history
from bot.service import IncomingMessage
from bot.store.store import Store
from knowledge.check import check_knowledge
from knowledge.model import KNOWLEDGE_DIR, load_knowledge_files
from knowledge.snapshot import read_tree, write_tree
from nlu.normalize import fold_key
from tests.admin.conftest import AdminSite, turn

NOW = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
LUONG = ["lương ở nhật bao nhiêu", "luong o nhat bao nhieu", "lương bên nhật 1 tháng bao nhiêu", "luong nhat dc bn"]
VANG = ["giá vàng hôm nay", "gia vang hom nay bao nhieu"]


def questions(texts: list[str]) -> list[Question]:
    return [Question(i, t, fold_key(t), f"u{i % 3}", NOW + dt.timedelta(minutes=i)) for i, t in enumerate(texts)]


def repo_knowledge_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(KNOWLEDGE_DIR.rglob("*.yaml")):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_similar_questions_group_together_biggest_first() -> None:
    groups = group_questions(questions([*VANG, *LUONG, "thời tiết hà nội"]))
    assert [sorted(q.text for q in g.questions) for g in groups] == [
        sorted(LUONG),
        sorted(VANG),
        ["thời tiết hà nội"],
    ]
    assert groups[0].size == 4 and groups[0].users == 3
    assert groups[0].representative in LUONG


def test_the_same_question_many_times_is_one_wording() -> None:
    [group] = group_questions(questions(["xin visa", "Xin visa", "xin VISA"]))
    assert group.size == 3 and group.samples() == [("xin visa", 3)]


def test_no_questions_no_groups() -> None:
    assert group_questions([]) == []
    assert len(group_questions(questions(["một câu"]))) == 1


async def test_adding_examples_keeps_the_file_and_publishes_a_valid_version(knowledge_copy: Path, store: Store) -> None:
    entry = "vn_di_lam_viec_nuoc_ngoai_hop_phap"
    files = read_tree(knowledge_copy)
    before = load_knowledge_files(files).entries[entry]
    old_text = files[before.file]
    existing = before.examples[0]
    wordings = [
        "  muốn  sang nhật   làm thì bắt đầu thế nào ",
        existing.upper(),
        "gọi tôi số [SĐT]",
        'câu có "ngoặc" : #x',
        "ok",
    ]
    changed, kept = with_examples(files, entry, wordings)
    assert kept == ["muốn sang nhật làm thì bắt đầu thế nào", 'câu có "ngoặc" : #x']
    assert {p for p in changed if changed[p] != files[p]} == {before.file}
    new_text = changed[before.file]
    assert new_text.startswith(old_text.split(f"id: {entry}")[0])  # what came before is untouched
    assert yaml.safe_load(new_text)["scope"] == "national"

    added = await add_examples(store, entry, wordings, "chi.lan")
    assert added.questions == kept and added.version == 2  # the seed, then this
    _version, now = await ensure_published(store)
    after = load_knowledge_files(now)
    assert after.entries[entry].examples == (*before.examples, *kept)
    assert check_knowledge(after, question_key=fold_key) == []
    assert (await add_examples(store, entry, kept, "chi.lan")).questions == []  # already there now
    with pytest.raises(KnowledgeEditError):
        await add_examples(store, "no_such_entry", ["câu hỏi mới"], "chi.lan")


async def record_unanswered(site: AdminSite, texts: list[str]) -> list[int]:
    ids = []
    for i, text in enumerate(texts):
        ids.append(
            await site.store.record(
                turn(
                    user=f"w{i}",
                    text=text,
                    normalized=fold_key(text),
                    outcome="fallback",
                    answered=False,
                    topic="out_of_scope",
                    entry_id=None,
                )
            )
        )
    return ids


async def test_linking_a_group_teaches_the_running_bot(dashboard: AdminSite) -> None:
    digest = repo_knowledge_digest()
    new_wordings = ["tiền lương tối thiểu bên hàn là mấy", "tien luong toi thieu ben han la may"]
    ids = await record_unanswered(dashboard, [*new_wordings, *VANG])
    entry = "vn_di_lam_viec_nuoc_ngoai_hop_phap"
    service = dashboard.service
    old_engine = service.engine
    await dashboard.login("editor")
    page = await (await dashboard.client.get("/admin/unanswered")).text()
    assert "ben han la may" in page and "Gắn vào mục" in page  # one group, shown by one of its wordings
    res = await dashboard.post("/admin/unanswered/link", {"ids": f"{ids[0]},{ids[1]}", "entry": entry})
    assert res.status == 303 and "msg=linked" in res.headers["Location"]
    assert service.engine is not old_engine  # retrained and swapped in, no restart
    [linked, _seed] = await history(dashboard.store)
    assert linked.kind == "link" and linked.author == "editor" and service.knowledge_version == linked.id
    assert linked.summary["changed"] == [entry]
    examples = service.kb.entries[entry].examples
    assert examples[-1] == "tiền lương tối thiểu bên hàn là mấy"  # the second wording folds the same
    handled = await service.handle(
        IncomingMessage(channel="web", user_ref="w-new", text="tien luong toi thieu ben han la may")
    )
    assert handled.outcome.entry == entry
    assert repo_knowledge_digest() == digest  # the repository's knowledge files were not touched
    left = await Dashboard(dashboard.store).unanswered()
    assert sorted(q.id for q in left) == ids[2:]
    page = await (await dashboard.client.get("/admin/unanswered?msg=linked")).text()
    assert "trợ lý đã học lại" in page and "ben han la may" not in page


async def test_marking_a_group_handled_and_roles(dashboard: AdminSite) -> None:
    ids = await record_unanswered(dashboard, VANG)
    await dashboard.login("viewer")
    page = await (await dashboard.client.get("/admin/unanswered")).text()
    assert "giá vàng hôm nay" in page and "Đánh dấu đã xử lý" not in page
    await dashboard.logout()
    await dashboard.login("editor")
    res = await dashboard.post("/admin/unanswered/handled", {"ids": ",".join(map(str, ids))})
    assert "msg=handled" in res.headers["Location"]
    assert await Dashboard(dashboard.store).unanswered() == []
    again = await dashboard.post("/admin/unanswered/handled", {"ids": ",".join(map(str, ids))})
    assert "msg=nothing_selected" in again.headers["Location"]
    bad_entry = await dashboard.post("/admin/unanswered/link", {"ids": str(ids[0]), "entry": "nope"})
    assert "msg=nothing_selected" in bad_entry.headers["Location"]


class OutsideEngine:
    """Stands for an engine retrained elsewhere (Rasa): reload() must keep it."""

    name = "outside"

    async def parse(self, text: str) -> None:  # pragma: no cover - never called here
        raise AssertionError


async def test_reload_swaps_knowledge_and_engine_together(dashboard: AdminSite, knowledge_copy: Path) -> None:
    service = dashboard.service
    old_kb, old_engine, old_responder = service.kb, service.engine, service.responder
    changed, _ = with_examples(
        read_tree(knowledge_copy), "kg_bao_hiem_that_nghiep", ["mất việc thì nhận trợ cấp ở đâu vậy anh"]
    )
    write_tree(changed, knowledge_copy)
    await service.reload()
    assert service.kb is not old_kb and service.engine is not old_engine and service.responder is not old_responder
    assert service.responder.kb is service.kb
    assert "mất việc thì nhận trợ cấp ở đâu vậy anh" in service.kb.entries["kg_bao_hiem_that_nghiep"].examples
    outside = OutsideEngine()
    service._brain = type(service._brain)(service.kb, outside, service.responder)  # type: ignore[arg-type]
    await service.reload()
    assert service.engine is outside  # an outside engine is not replaced by an embedded one
