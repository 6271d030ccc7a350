"""Adding workers' questions to an entry's example questions in knowledge/entries/*.yaml.

The file is edited as text (the new lines go after the entry's last example), so comments,
order and layout stay as people wrote them; the result is parsed again and checked before
it replaces the file. Questions `laodong kb check` would refuse (duplicates of any entry's
example, blanks) are skipped.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.privacy import contains_personal_data
from knowledge.check import check_knowledge
from knowledge.model import KnowledgeBase, load_knowledge
from nlu.normalize import fold_key

MIN_CHARS, MAX_CHARS = 3, 200


class KnowledgeEditError(RuntimeError):
    """The entry file could not be changed as asked (nothing was written)."""


@dataclass(frozen=True, slots=True)
class Added:
    entry_id: str
    file: Path
    questions: list[str]


def usable_questions(kb: KnowledgeBase, questions: Iterable[str]) -> list[str]:
    """The questions that can become examples: new to every entry, not blank, and with no personal
    data (a question that held some, now masked or not, stays out of the knowledge files: /xoa
    and purge do not reach them)."""
    seen = {fold_key(q) for entry in kb.entries.values() for q in entry.examples}
    kept = []
    for raw in questions:
        text = " ".join(raw[: MAX_CHARS * 2].split())
        key = fold_key(text)
        if not (MIN_CHARS <= len(text) <= MAX_CHARS) or not key or key in seen:
            continue
        if contains_personal_data(text) or contains_personal_data(key):
            continue
        seen.add(key)
        kept.append(text)
    return kept


def _insert_examples(source: str, entry_id: str, questions: list[str]) -> str:
    """The file text with `questions` appended to the example list of `entry_id`."""
    lines = source.splitlines(keepends=True)
    start = next(
        (
            i
            for i, line in enumerate(lines)
            if re.fullmatch(rf"\s*-\s+id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*", line)
        ),
        None,
    )
    if start is None:
        raise KnowledgeEditError(f"entry {entry_id!r} not found")
    entry_indent = len(lines[start]) - len(lines[start].lstrip())
    examples_at = None
    for i in range(start + 1, len(lines)):
        stripped = lines[i].strip()
        indent = len(lines[i]) - len(lines[i].lstrip())
        if stripped and indent <= entry_indent:
            break  # the next entry (or the end of the list)
        if re.fullmatch(r"examples:\s*", stripped):
            examples_at = i
            break
    if examples_at is None:
        raise KnowledgeEditError(f"entry {entry_id!r} has no block list of examples")
    last = examples_at
    item_indent: int | None = None
    for i in range(examples_at + 1, len(lines)):
        stripped = lines[i].strip()
        if not stripped:
            continue
        indent = len(lines[i]) - len(lines[i].lstrip())
        if stripped.startswith("- ") and (item_indent is None or indent == item_indent):
            item_indent = indent
            last = i
            continue
        if item_indent is not None and indent > item_indent:
            last = i  # a continued item
            continue
        break
    pad = " " * (item_indent if item_indent is not None else entry_indent + 4)
    new = [f"{pad}- {json.dumps(q, ensure_ascii=False)}\n" for q in questions]
    if not lines[last].endswith("\n"):
        lines[last] += "\n"
    return "".join(lines[: last + 1] + new + lines[last + 1 :])


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _locked(root: Path) -> Iterator[None]:
    """One edit of a knowledge folder at a time, across processes (an advisory lock on the folder)."""
    fd = os.open(root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def add_examples(root: Path, entry_id: str, questions: Iterable[str]) -> Added:
    """Append the usable questions to an entry's examples; the knowledge base stays valid."""
    with _locked(root):
        return _add_examples(root, entry_id, questions)


def _add_examples(root: Path, entry_id: str, questions: Iterable[str]) -> Added:
    kb = load_knowledge(root)
    entry = kb.entries.get(entry_id)
    if entry is None:
        raise KnowledgeEditError(f"entry {entry_id!r} does not exist")
    path = root / entry.file
    kept = usable_questions(kb, questions)
    if not kept:
        return Added(entry_id, path, [])
    before = path.read_text(encoding="utf-8")
    after = _insert_examples(before, entry_id, kept)
    try:
        data = yaml.safe_load(after)
    except yaml.YAMLError as exc:
        raise KnowledgeEditError(f"{entry.file}: the edit would not parse: {exc}") from exc
    raw = next((e for e in data.get("entries") or [] if str(e.get("id")) == entry_id), None)
    if raw is None or [str(q) for q in raw.get("examples") or []] != [*entry.examples, *kept]:
        raise KnowledgeEditError(f"{entry.file}: the edit did not land in the examples of {entry_id!r}")
    problems_before = set(check_knowledge(kb, question_key=fold_key))
    _atomic_write(path, after)
    new_problems = set(check_knowledge(load_knowledge(root), question_key=fold_key)) - problems_before
    if new_problems:
        _atomic_write(path, before)
        raise KnowledgeEditError("; ".join(sorted(new_problems)))
    return Added(entry_id, path, kept)
