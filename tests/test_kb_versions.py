"""Knowledge in the database: seeded from knowledge/, exported byte for byte, imported only when
kb check passes, history and rollback (`laodong kb …`), on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from bot.kbstore import PublishError, ensure_published, history, publish, rollback, version_files
from bot.store.store import Store
from knowledge.model import KNOWLEDGE_DIR, load_knowledge_files
from knowledge.snapshot import read_tree

ENTRY_FILE = "entries/lao-cai/work_abroad.yaml"
OLD = "phấn đấu mỗi năm đưa khoảng 200 người"
NEW = "phấn đấu mỗi năm đưa khoảng 200 người (bản sửa)"


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("LAODONG_DATABASE_URL", f"sqlite:///{tmp_path / 'kb.db'}")
    monkeypatch.setenv("LAODONG_DATA_DIR", str(tmp_path / "var"))
    return tmp_path


def laodong(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def edited(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of knowledge/ with one answer changed."""
    target = tmp_path / "edited"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    path = target / ENTRY_FILE
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def answer(files: dict[str, str]) -> str:
    return load_knowledge_files(files).entries["lc_muc_tieu_xkld"].answer


def test_export_right_after_seeding_is_knowledge_byte_for_byte(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = laodong(capsys, "kb", "export", str(cli_env / "out"))
    assert code == 0 and "version 1" in out
    out_dir = cli_env / "out"
    exported = {p.relative_to(out_dir).as_posix(): p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    seed = {rel: text.encode("utf-8") for rel, text in read_tree(KNOWLEDGE_DIR).items()}
    assert exported == seed
    assert "documents.yaml" in seed and ENTRY_FILE in seed and "sources/lao-cai-280-KH-UBND-2023.txt" in seed
    for rel, data in seed.items():
        assert (KNOWLEDGE_DIR / rel).read_bytes() == data
    with pytest.raises(SystemExit, match="not empty"):  # never writes over a folder's other files
        laodong(capsys, "kb", "export", str(cli_env / "out"))


def test_import_publishes_only_what_kb_check_passes(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = edited(cli_env / "bad", "khoảng 200 người", "khoảng 777 người")
    code, out = laodong(capsys, "kb", "import", str(bad), "--why", "thử")
    assert code == 1
    assert "figure '777'" in out and "nothing published" in out
    code, out = laodong(capsys, "kb", "history")
    assert code == 0 and len(out.splitlines()) == 1  # still only the seed

    good = edited(cli_env, OLD, NEW)
    code, out = laodong(capsys, "kb", "import", str(good), "--why", "câu rõ hơn")
    assert code == 0 and "published version 2" in out and "lc_muc_tieu_xkld" in out
    code, out = laodong(capsys, "kb", "check")
    assert code == 0 and "published version 2" in out and "0 problems" in out
    code, out = laodong(capsys, "kb", "import", str(good))
    assert code == 0 and "nothing to publish" in out  # the same folder again: no empty version

    code, out = laodong(capsys, "kb", "history")
    first = out.splitlines()[0].split("\t")
    assert first[0] == "*2" and first[3] == "import" and first[-1] == "câu rõ hơn"
    code, out = laodong(capsys, "kb", "rollback", "1", "--why", "nhầm")
    assert code == 0 and "published version 3" in out
    code, out = laodong(capsys, "kb", "export", str(cli_env / "back"))
    assert read_tree(cli_env / "back") == read_tree(KNOWLEDGE_DIR)


def test_kb_check_of_a_folder_names_each_problem(cli_env: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = edited(cli_env, "khoảng 200 người", "khoảng 200 người, gọi 0912 345 678")
    (bad / "sources/citizen-protection.md").unlink()
    code, out = laodong(capsys, "kb", "check", str(bad))
    assert code == 1
    assert "phone number" in out
    assert "bao-ho-cong-dan: its text sources/citizen-protection.md is missing" in out
    with pytest.raises(SystemExit, match="not a folder"):
        laodong(capsys, "kb", "check", str(cli_env / "nowhere"))


async def test_a_publication_on_a_stale_version_is_refused_not_lost(any_store: Store) -> None:
    seed, files = await ensure_published(any_store)
    changed = {**files, ENTRY_FILE: files[ENTRY_FILE].replace(OLD, NEW, 1)}
    first = await publish(any_store, changed, "chi.lan", "edit", "sửa", on_version=seed.id)
    with pytest.raises(PublishError) as refused:
        await publish(any_store, files, "anh.ba", "edit", "cũ", on_version=seed.id)
    assert refused.value.code == "conflict"
    assert answer(await version_files(any_store, first.id)).startswith("Kế hoạch năm 2023")
    assert NEW in answer(await version_files(any_store, first.id))
    back = await rollback(any_store, seed.id, "chi.lan", "nhầm")
    assert back.restores == seed.id and back.summary["changed"] == ["lc_muc_tieu_xkld"]
    assert await version_files(any_store, back.id) == files
    assert [v.id for v in await history(any_store)] == [back.id, first.id, seed.id]
    again, _ = await ensure_published(any_store)  # a restart does not seed again
    assert again.id == back.id


async def test_a_new_release_of_knowledge_is_seeded_unless_officials_published(store: Store, tmp_path: Path) -> None:
    seed_dir = edited(tmp_path, OLD, OLD)
    first, _ = await ensure_published(store, seed_dir)
    edited(tmp_path / "v2", OLD, NEW)
    second, files = await ensure_published(store, tmp_path / "v2" / "edited")
    assert second.id == first.id + 1 and second.kind == "seed" and NEW in answer(files)
    mine = await publish(store, {**files, ENTRY_FILE: files[ENTRY_FILE].replace(NEW, OLD)}, "chi.lan", "edit")
    third, _ = await ensure_published(store, seed_dir)  # officials published since: theirs stays
    assert third.id == mine.id


async def test_migration_0009_goes_down_and_up(any_store: Store) -> None:
    await ensure_published(any_store)
    async with any_store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"kb_blobs", "kb_versions", "kb_version_files", "kb_drafts"} <= tables
    await any_store.downgrade("0008")
    async with any_store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert not {"kb_blobs", "kb_versions", "kb_version_files", "kb_drafts"} & tables
    await any_store.migrate()
    version, files = await ensure_published(any_store)
    assert version.id == 1 and files == read_tree(KNOWLEDGE_DIR)
