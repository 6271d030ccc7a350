"""Adding workers' questions to an entry's example questions: a new published version.

The entry's file is edited as text (the new lines go after the entry's last example), so
comments, order and layout stay as people wrote them; the result is parsed again, and kb check
runs before the version is published (bot/kbstore.py). Questions `laodong kb check` would refuse
(duplicates of any entry's example, blanks) and questions that held personal data are skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import yaml

from bot.kbstore import PublishError, ensure_published, publish
from bot.privacy import contains_personal_data
from bot.store.store import Store
from knowledge.model import KnowledgeBase, load_knowledge_files
from nlu.normalize import fold_key

MIN_CHARS, MAX_CHARS = 3, 200
PUBLISH_ATTEMPTS = 3


class KnowledgeEditError(RuntimeError):
    """The entry file could not be changed as asked (nothing was written)."""


@dataclass(frozen=True, slots=True)
class Added:
    entry_id: str
    version: int | None  # the version published with them (None: none of them was usable)
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


def with_examples(
    files: Mapping[str, str], entry_id: str, questions: Iterable[str]
) -> tuple[dict[str, str], list[str]]:
    """The knowledge files with the usable questions appended to an entry's examples, and those questions."""
    kb = load_knowledge_files(files)
    entry = kb.entries.get(entry_id)
    if entry is None:
        raise KnowledgeEditError(f"entry {entry_id!r} does not exist")
    kept = usable_questions(kb, questions)
    if not kept:
        return dict(files), []
    after = _insert_examples(files[entry.file], entry_id, kept)
    try:
        data = yaml.safe_load(after)
    except yaml.YAMLError as exc:
        raise KnowledgeEditError(f"{entry.file}: the edit would not parse: {exc}") from exc
    raw = next((e for e in data.get("entries") or [] if str(e.get("id")) == entry_id), None)
    if raw is None or [str(q) for q in raw.get("examples") or []] != [*entry.examples, *kept]:
        raise KnowledgeEditError(f"{entry.file}: the edit did not land in the examples of {entry_id!r}")
    return {**files, entry.file: after}, kept


async def add_examples(store: Store, entry_id: str, questions: list[str], author: str) -> Added:
    """Publish a new version with the usable questions as examples of an entry (kb check first).

    Another publication meanwhile: done again on top of it (a few times at most).
    """
    for _ in range(PUBLISH_ATTEMPTS):
        version, files = await ensure_published(store)
        changed, kept = with_examples(files, entry_id, questions)
        if not kept:
            return Added(entry_id, None, [])
        why = f"{len(kept)} câu hỏi chưa trả lời được gắn vào {entry_id}"
        try:
            new = await publish(store, changed, author, "link", why, on_version=version.id)
        except PublishError as exc:
            if exc.code == "conflict":
                continue
            raise KnowledgeEditError("; ".join(exc.problems) or str(exc)) from exc
        return Added(entry_id, new.id, kept)
    raise KnowledgeEditError("other versions kept being published meanwhile")
