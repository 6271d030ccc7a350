"""Published knowledge versions in the database: seed, publish (checked first), history, rollback.

The newest row of kb_versions is the published knowledge; every process follows it
(bot/kbfollow.py). On PostgreSQL a publication also sends NOTIFY on `NOTIFY_CHANNEL`, delivered
when its transaction commits, so other processes hear of it at once (they poll as well).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy import text as sql_text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.store.kbmodels import KbBlob, KbVersion, KbVersionFile
from bot.store.store import Store
from knowledge.check import check_knowledge
from knowledge.model import KNOWLEDGE_DIR, KnowledgeError, load_knowledge_files
from knowledge.snapshot import Files, blob_hash, changes, read_tree, tree_hash
from nlu.normalize import fold_key

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "laodong_kb"
SEED_AUTHOR = "knowledge/"
SEED_WHY = "kho kiến thức gốc (knowledge/) đã rà soát"  # shown in the dashboard's history
RELEASE_WHY = "kho kiến thức gốc (knowledge/) của bản phát hành mới"
REQUIRED_FILES = ("documents.yaml", "responses.yaml", "provinces.yaml")
_NOTIFY = sql_text("SELECT pg_notify(:channel, :payload)")
_INSERT_BLOB = sql_text("INSERT INTO kb_blobs (sha256, content) VALUES (:sha256, :content) ON CONFLICT DO NOTHING")


class PublishError(ValueError):
    """Nothing was published: the knowledge fails its check, or another publication came first."""

    def __init__(self, code: str, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.code = code  # check_failed, conflict, unchanged, unknown_version
        self.problems = problems or []


@dataclass(frozen=True, slots=True)
class Version:
    id: int
    parent_id: int
    created_at: dt.datetime
    author: str
    kind: str
    why: str
    summary: dict[str, Any]
    tree_hash: str
    restores: int | None

    def as_json(self, published: bool = False) -> dict[str, Any]:
        return {
            "version": self.id,
            "created_at": self.created_at.isoformat(),
            "author": self.author,
            "kind": self.kind,
            "why": self.why,
            "changes": self.summary,
            "restores": self.restores,
            "published": published,
        }


def _version(row: KbVersion) -> Version:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    return Version(
        row.id,
        row.parent_id,
        created,
        row.author,
        row.kind,
        row.why,
        dict(row.summary or {}),
        row.tree_hash,
        row.restores,
    )


def check_files(files: Files) -> list[str]:
    """kb check's rules over a folder's files, and what a folder must hold to be loaded at all."""
    missing = [f"{name}: missing" for name in REQUIRED_FILES if name not in files]
    if missing:
        return missing
    try:
        kb = load_knowledge_files(files)
    except (KnowledgeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        return [f"the knowledge cannot be read: {exc}"]
    problems = [
        f"documents.yaml {doc.id}: its text {doc.file.relative_to('published')} is missing"
        for doc in kb.documents.values()
        if doc.content == ""
    ]
    return problems + check_knowledge(kb, question_key=fold_key)


async def current_version(store: Store) -> int | None:
    """The id of the published version (the cheap check every process polls)."""
    async with store.sessions() as session:
        return await session.scalar(select(func.max(KbVersion.id)))


async def get_version(store: Store, version_id: int) -> Version | None:
    async with store.sessions() as session:
        row = await session.get(KbVersion, version_id)
        return _version(row) if row else None


async def version_files(store: Store, version_id: int) -> dict[str, str]:
    """A version's files, {path: text}."""
    async with store.sessions() as session:
        return await _files(session, version_id)


async def _files(session: AsyncSession, version_id: int) -> dict[str, str]:
    rows = await session.execute(
        select(KbVersionFile.path, KbBlob.content)
        .join(KbBlob, KbBlob.sha256 == KbVersionFile.sha256)
        .where(KbVersionFile.version_id == version_id)
    )
    return dict(sorted(rows.tuples().all()))


async def published(store: Store) -> tuple[Version, dict[str, str]] | None:
    """The published version and its files (None before the first seed)."""
    async with store.sessions() as session:
        row = await session.scalar(select(KbVersion).order_by(KbVersion.id.desc()).limit(1))
        if row is None:
            return None
        return _version(row), await _files(session, row.id)


async def history(store: Store, limit: int = 200) -> list[Version]:
    """The versions, newest (the published one) first."""
    async with store.sessions() as session:
        rows = await session.scalars(select(KbVersion).order_by(KbVersion.id.desc()).limit(limit))
        return [_version(r) for r in rows]


async def publish(
    store: Store,
    files: Mapping[str, str],
    author: str,
    kind: str,
    why: str = "",
    on_version: int | None = None,
    restores: int | None = None,
    check: bool = True,
) -> Version:
    """Check the files, then make them the published version (PublishError when refused).

    `on_version`: the version the change was made on; if another was published since, refused
    (code `conflict`) rather than undoing it silently.
    """
    files = dict(files)
    if check:
        problems = check_files(files)
        if problems:
            raise PublishError("check_failed", f"kb check found {len(problems)} problems", problems)
    async with store.sessions.begin() as session:
        current = await session.scalar(select(KbVersion).order_by(KbVersion.id.desc()).limit(1))
        parent = current.id if current else 0
        if on_version is not None and on_version != parent:
            raise PublishError("conflict", f"version {parent} was published after version {on_version}")
        old = await _files(session, parent) if current else {}
        summary = changes(old, files).as_json() if old else {"seeded": len(files)}
        if current is not None and current.tree_hash == tree_hash(files) and kind != "rollback":
            raise PublishError("unchanged", f"nothing to publish: the same as version {parent}")
        await session.execute(_INSERT_BLOB, [{"sha256": blob_hash(t), "content": t} for t in files.values()])
        row = KbVersion(
            parent_id=parent,
            author=author[:64],
            kind=kind,
            why=why.strip()[:2000],
            summary=summary,
            tree_hash=tree_hash(files),
            restores=restores,
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:  # another process published on the same version meanwhile
            raise PublishError("conflict", f"another version was published on version {parent} meanwhile") from None
        session.add_all(KbVersionFile(version_id=row.id, path=p, sha256=blob_hash(t)) for p, t in files.items())
        if store.backend == "postgresql":  # delivered when this transaction commits
            await session.execute(
                sql_text("SELECT pg_notify(:channel, :payload)"), {"channel": NOTIFY_CHANNEL, "payload": str(row.id)}
            )
        version = _version(row)
    log.info("published knowledge version %d (%s by %s)", version.id, kind, author)
    return version


async def rollback(store: Store, version_id: int, author: str, why: str = "") -> Version:
    """Publish an earlier version's files again, as a new version."""
    if await get_version(store, version_id) is None:
        raise PublishError("unknown_version", f"no version {version_id}")
    files = await version_files(store, version_id)
    return await publish(
        store, files, author, "rollback", why or f"rollback to version {version_id}", restores=version_id
    )


async def current(store: Store) -> tuple[Version, dict[str, str]]:
    """The published version and its files (seeded first if there is none yet): what pages read."""
    return await published(store) or await ensure_published(store)


async def ensure_published(store: Store, seed_dir: Path = KNOWLEDGE_DIR) -> tuple[Version, dict[str, str]]:
    """The published version, seeding it from knowledge/ on first start.

    When knowledge/ changed since it was last seeded (a new release) and nobody published
    anything else since, the new knowledge/ is published as a new seed; when officials did
    publish since, their version stays and the difference is logged (`kb import` merges).
    """
    for _ in range(3):
        found = await published(store)
        seed = read_tree(seed_dir)
        try:
            if found is None:
                await publish(store, seed, SEED_AUTHOR, "seed", SEED_WHY, on_version=0, check=False)
                continue
            version, _files = found
            if version.kind != "seed" or version.author != SEED_AUTHOR or version.tree_hash == tree_hash(seed):
                if version.kind != "seed" and await _seed_changed(store, seed):
                    log.warning("knowledge/ changed since it was seeded, but officials published since: kept theirs")
                return found
            await publish(store, seed, SEED_AUTHOR, "seed", RELEASE_WHY, on_version=version.id, check=False)
        except PublishError as exc:
            if exc.code != "conflict":
                raise
    found = await published(store)
    assert found is not None
    return found


async def _seed_changed(store: Store, seed: Files) -> bool:
    async with store.sessions() as session:
        last = await session.scalar(
            select(KbVersion.tree_hash).where(KbVersion.kind == "seed").order_by(KbVersion.id.desc()).limit(1)
        )
    return last is not None and last != tree_hash(seed)
