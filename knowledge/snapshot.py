"""A knowledge folder as data: its files as {relative path: text}, compared, hashed, written out.

A published version of the knowledge is exactly such a set of files (knowledge/ without its
Python), so `kb export` gives back byte for byte what was imported or seeded, comments and
layout included, and the loader and `kb check` read a version as they read a folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.model import KnowledgeBase, load_knowledge_files

Files = Mapping[str, str]
SKIPPED_DIRS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".py", ".pyc")
MAX_FILE_BYTES = 2_000_000  # a knowledge file larger than this is a mistake (the plans are ~30 kB)
MAX_FILES = 500


class SnapshotError(ValueError):
    """A folder cannot be read as a knowledge folder (not text, too large, a bad name)."""


def _wanted(rel: str) -> bool:
    parts = rel.split("/")
    return not any(p in SKIPPED_DIRS or p.startswith(".") for p in parts) and not rel.endswith(SKIPPED_SUFFIXES)


def read_tree(root: Path) -> dict[str, str]:
    """The data files of a knowledge folder (not its Python, caches or hidden files), as UTF-8 text."""
    if not root.is_dir():
        raise SnapshotError(f"{root}: not a folder")
    files: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if not path.is_file() or not _wanted(rel):
            continue
        if path.stat().st_size > MAX_FILE_BYTES:
            raise SnapshotError(f"{rel}: larger than {MAX_FILE_BYTES} bytes")
        try:
            files[rel] = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError:
            raise SnapshotError(f"{rel}: not UTF-8 text") from None
        if len(files) > MAX_FILES:
            raise SnapshotError(f"{root}: more than {MAX_FILES} files")
    return files


def write_tree(files: Files, target: Path) -> None:
    """Write the files under target (made if missing); each file replaced atomically."""
    for rel, text in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(text.encode("utf-8"))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def blob_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def tree_hash(files: Files) -> str:
    """One hash for the whole set of files (names and contents)."""
    digest = hashlib.sha256()
    for rel in sorted(files):
        digest.update(f"{rel}\x00{blob_hash(files[rel])}\x00".encode())
    return digest.hexdigest()


@dataclass(slots=True)
class Changes:
    """What a new version changes against the published one, for the history page."""

    added: list[str] = field(default_factory=list)  # entry ids
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # other files changed, added or removed

    def as_json(self) -> dict[str, Any]:
        return {"added": self.added, "removed": self.removed, "changed": self.changed, "files": self.files}

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.files)


def _entry_fields(kb: KnowledgeBase) -> dict[str, tuple[Any, ...]]:
    return {
        e.id: (e.topic, e.scope, e.title, e.answer, e.sources, e.examples, e.related, e.group, e.reviewed)
        for e in kb.entries.values()
    }


def changes(old: Files, new: Files) -> Changes:
    """Entries added, removed and changed, and the other files that differ."""
    before, after = _entry_fields(load_knowledge_files(old)), _entry_fields(load_knowledge_files(new))
    found = Changes(
        added=sorted(set(after) - set(before)),
        removed=sorted(set(before) - set(after)),
        changed=sorted(i for i in set(before) & set(after) if before[i] != after[i]),
    )
    for rel in sorted(set(old) | set(new)):
        if not rel.startswith("entries/") and old.get(rel) != new.get(rel):
            found.files.append(rel)
    return found
