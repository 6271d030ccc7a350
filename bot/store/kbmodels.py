"""The knowledge in the database (migration 0009): published versions, their files, drafts.

A version is the whole knowledge folder (knowledge/'s layout, its data files only) at the
moment it was published: rows of (version, path, blob), the blobs shared between versions by
their SHA-256, so a one-entry change stores one new file. The newest version is the published
one; a rollback publishes an older version's files again as a new version. `parent_id` is
unique: of two publications made on the same version, the second fails (nothing is lost
silently) and is retried on top of the first, or refused with a message.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.store.models import Base, BigId, utcnow


class KbBlob(Base):
    """One file's text, stored once whatever the number of versions holding it."""

    __tablename__ = "kb_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[str] = mapped_column(Text)


class KbVersion(Base):
    """A published version: who, when, why, what changed."""

    __tablename__ = "kb_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    parent_id: Mapped[int] = mapped_column(BigInteger, unique=True)  # the version it was made on (0: the seed)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # seed, import, edit, link, rollback
    why: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tree_hash: Mapped[str] = mapped_column(String(64))
    restores: Mapped[int | None] = mapped_column(BigInteger)  # a rollback: the version it brings back


class KbVersionFile(Base):
    """One file of a version."""

    __tablename__ = "kb_version_files"

    version_id: Mapped[int] = mapped_column(ForeignKey("kb_versions.id", ondelete="CASCADE"), primary_key=True)
    path: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("kb_blobs.sha256"))


class KbDraft(Base):
    """An editor's change waiting for an approver: the files it changes, on top of a version."""

    __tablename__ = "kb_drafts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    author: Mapped[str] = mapped_column(String(64))
    base_version: Mapped[int] = mapped_column(BigInteger)
    entry_id: Mapped[str | None] = mapped_column(String(64))
    why: Mapped[str] = mapped_column(Text, default="")
    files: Mapped[dict[str, str]] = mapped_column(JSON)  # the changed files, whole: {path: text}
    base_files: Mapped[dict[str, str]] = mapped_column(JSON)  # {path: sha256} of those files in the base
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open, published, dropped
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    version_id: Mapped[int | None] = mapped_column(BigInteger)  # the version publishing it made
