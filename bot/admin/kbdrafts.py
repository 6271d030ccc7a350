"""Editors' drafts of the knowledge: changed files kept until an approver publishes or drops them.

A draft holds whole changed files and the hash each had in the version it was made on. Published
later, it is laid over the then published version; if one of its files changed there meanwhile,
publishing is refused (`stale`) rather than undoing someone's change.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update

from bot.kbstore import PublishError, Version, publish, published
from bot.store.kbmodels import KbDraft
from bot.store.models import utcnow
from bot.store.store import Store
from knowledge.snapshot import blob_hash

OPEN = "open"


@dataclass(frozen=True, slots=True)
class Draft:
    id: int
    created_at: dt.datetime
    author: str
    base_version: int
    entry_id: str | None
    why: str
    files: dict[str, str]
    base_files: dict[str, str]
    status: str
    decided_by: str | None
    version_id: int | None


def _draft(row: KbDraft) -> Draft:
    return Draft(
        row.id,
        row.created_at,
        row.author,
        row.base_version,
        row.entry_id,
        row.why,
        dict(row.files),
        dict(row.base_files),
        row.status,
        row.decided_by,
        row.version_id,
    )


async def save_draft(
    store: Store,
    author: str,
    base: int,
    base_files: Mapping[str, str],
    files: Mapping[str, str],
    entry_id: str,
    why: str,
) -> Draft:
    """Keep a change (the changed files whole) for an approver."""
    hashes = {path: blob_hash(base_files[path]) if path in base_files else "" for path in files}
    row = KbDraft(
        author=author[:64],
        base_version=base,
        entry_id=entry_id[:64],
        why=why.strip()[:2000],
        files=dict(files),
        base_files=hashes,
        status=OPEN,
    )
    async with store.sessions.begin() as session:
        session.add(row)
        await session.flush()
        return _draft(row)


async def open_drafts(store: Store) -> list[Draft]:
    async with store.sessions() as session:
        rows = await session.scalars(select(KbDraft).where(KbDraft.status == OPEN).order_by(KbDraft.id.desc()))
        return [_draft(r) for r in rows]


async def get_draft(store: Store, draft_id: int) -> Draft | None:
    async with store.sessions() as session:
        row = await session.get(KbDraft, draft_id)
        return _draft(row) if row else None


def laid_over(draft: Draft, files: Mapping[str, str]) -> dict[str, str]:
    """The draft's files over a version's; PublishError `stale` if one changed there since."""
    for path, sha in draft.base_files.items():
        if (blob_hash(files[path]) if path in files else "") != sha:
            raise PublishError("stale", f"{path} changed since the draft was made")
    return {**files, **draft.files}


async def publish_draft(store: Store, draft: Draft, approver: str) -> Version:
    """Check and publish an open draft (PublishError when refused); the draft is then closed."""
    if draft.status != OPEN:
        raise PublishError("decided", f"draft {draft.id} is {draft.status}")
    found = await published(store)
    if found is None:
        raise PublishError("unknown_version", "no published version")
    current, files = found
    why = draft.why or f"draft {draft.id}"
    version = await publish(store, laid_over(draft, files), f"{approver}"[:64], "edit", why, on_version=current.id)
    await decide(store, draft.id, "published", approver, version.id)
    return version


async def decide(store: Store, draft_id: int, status: str, by: str, version_id: int | None = None) -> bool:
    """Close an open draft (published or dropped); False if it was not open any more."""
    async with store.sessions.begin() as session:
        done = await session.execute(
            update(KbDraft)
            .where(KbDraft.id == draft_id, KbDraft.status == OPEN)
            .values(status=status, decided_by=by[:64], decided_at=utcnow(), version_id=version_id)
        )
        return bool(done.rowcount)  # type: ignore[attr-defined]
