"""Changing one entry of an entry file, as text: the rest of the file stays byte for byte.

The entry's block (from its `- id:` line to the next entry) is written anew in the files' own
layout (double-quoted strings, the answer as a `|` block, `related: [a, b]`), then the whole file
is parsed again and compared with what was meant; a change that would not read back is refused.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

KEY_ORDER = ("id", "title", "group", "answer", "sources", "examples", "related", "reviewed")
_PLAIN = re.compile(r"[a-z0-9_][a-z0-9_-]*")


class EntryEditError(ValueError):
    """The entry cannot be changed as asked (nothing was changed)."""


def clean_text(text: str) -> str:
    """What an official typed, as the files keep it: NFC, no CR, no trailing spaces, no tabs."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    return "\n".join(line.rstrip() for line in text.split("\n")).strip()


def _q(value: Any) -> str:
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _id(value: Any) -> str:
    return str(value) if _PLAIN.fullmatch(str(value)) else _q(value)


def _answer(text: str, inner: str) -> str:
    lines = clean_text(text).split("\n")
    if not lines[0] or lines[0][0] == " ":
        return f"{inner}answer: {_q(clean_text(text))}\n"
    return f"{inner}answer: |\n" + "".join(f"{inner}  {line}\n" if line else "\n" for line in lines)


def render_entry(raw: Mapping[str, Any], indent: int) -> str:
    """An entry as the files write it, its `- ` at `indent` spaces."""
    inner = " " * (indent + 2)
    out = [f"{' ' * indent}- id: {_id(raw['id'])}\n"]
    for key in (*KEY_ORDER[1:], *(k for k in raw if k not in KEY_ORDER)):
        if key not in raw or raw[key] is None:
            continue
        value = raw[key]
        if key in ("title",):
            out.append(f"{inner}{key}: {_q(value)}\n")
        elif key == "group":
            out.append(f"{inner}group: {_id(value)}\n")
        elif key == "answer":
            out.append(_answer(str(value), inner))
        elif key == "sources":
            out.append(f"{inner}sources:\n")
            for source in value:
                out.append(f"{inner}  - doc: {_id(source['doc'])}\n")
                if source.get("section"):
                    out.append(f"{inner}    section: {_q(source['section'])}\n")
        elif key == "examples":
            out.append(f"{inner}examples:\n" + "".join(f"{inner}  - {_q(q)}\n" for q in value))
        elif key == "related":
            out.append(f"{inner}related: [{', '.join(_id(r) for r in value)}]\n")
        elif key == "reviewed":
            out.append(f"{inner}reviewed: {value.isoformat() if isinstance(value, dt.date) else _q(value)}\n")
        else:
            dumped = yaml.safe_dump({key: value}, allow_unicode=True, sort_keys=False, width=1000)
            out.extend(f"{inner}{line}\n" for line in dumped.splitlines())
    return "".join(out)


def _block(lines: list[str], entry_id: str) -> tuple[int, int, int]:
    """(first line, line after the last, indent) of an entry's block."""
    pattern = re.compile(rf"\s*-\s+id:\s*['\"]?{re.escape(entry_id)}['\"]?\s*(#.*)?")
    start = next((i for i, line in enumerate(lines) if pattern.fullmatch(line.rstrip("\n"))), None)
    if start is None:
        raise EntryEditError(f"entry {entry_id!r} not found")
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines):
        stripped = lines[end].strip()
        if stripped and len(lines[end]) - len(lines[end].lstrip()) <= indent:
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1  # blank lines before the next entry stay where they are
    return start, end, indent


def _entries(source: str) -> list[dict[str, Any]]:
    data = yaml.safe_load(source) or {}
    return [dict(e) for e in data.get("entries") or []]


def change_entry(source: str, entry_id: str, changes: Mapping[str, Any]) -> str:
    """The file's text with the entry's fields replaced by `changes` (the other entries untouched)."""
    try:
        before = _entries(source)
    except yaml.YAMLError as exc:
        raise EntryEditError(f"the file does not parse: {exc}") from exc
    raw = next((e for e in before if str(e.get("id")) == entry_id), None)
    if raw is None:
        raise EntryEditError(f"entry {entry_id!r} not found")
    wanted = {**raw, **changes}
    lines = source.splitlines(keepends=True)
    start, end, indent = _block(lines, entry_id)
    after = "".join([*lines[:start], render_entry(wanted, indent), *lines[end:]])
    try:
        got = _entries(after)
    except yaml.YAMLError as exc:
        raise EntryEditError(f"the change would not parse: {exc}") from exc
    expected = [wanted if str(e.get("id")) == entry_id else e for e in before]
    if _comparable(got) != _comparable(expected):
        raise EntryEditError(f"the change to {entry_id!r} would not read back as written")
    return after


def remove_entry(source: str, entry_id: str) -> str:
    """The file's text without the entry's block (the other entries untouched)."""
    try:
        before = _entries(source)
    except yaml.YAMLError as exc:
        raise EntryEditError(f"the file does not parse: {exc}") from exc
    lines = source.splitlines(keepends=True)
    start, end, _indent = _block(lines, entry_id)
    while end < len(lines) and not lines[end].strip():
        end += 1  # the blank lines that separated it from the next entry go with it
    after = "".join([*lines[:start], *lines[end:]])
    try:
        got = _entries(after)
    except yaml.YAMLError as exc:
        raise EntryEditError(f"the removal would not parse: {exc}") from exc
    if _comparable(got) != _comparable([e for e in before if str(e.get("id")) != entry_id]):
        raise EntryEditError(f"removing {entry_id!r} would change other entries")
    return after


def _comparable(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: (v.strip() if isinstance(v, str) else v) for k, v in e.items()} for e in entries]


def append_entry(source: str | None, scope: str, topic: str, raw: Mapping[str, Any]) -> str:
    """A new entry at the end of an entry file (a new file when there is none)."""
    if source is None or not source.strip():
        source = f"scope: {scope}\ntopic: {topic}\nentries:\n"
    if not source.endswith("\n"):
        source += "\n"
    lines = source.splitlines(keepends=True)
    items = [line for line in lines if re.match(r"\s*-\s+id:", line)]
    indent = len(items[-1]) - len(items[-1].lstrip()) if items else 2
    after = source + ("\n" if items and lines[-1].strip() else "") + render_entry(raw, indent)
    if str(raw["id"]) not in {str(e.get("id")) for e in _entries(after)}:
        raise EntryEditError(f"the new entry {raw['id']!r} would not read back")
    return after


def slug(text: str) -> str:
    """A document's number as an id: folded to ASCII, lowercase, words joined by '-'."""
    folded = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    ascii_text = "".join(c for c in folded if not unicodedata.combining(c)).lower()
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text))[:48] or "van-ban"


def append_document(source: str, raw: Mapping[str, Any]) -> str:
    """documents.yaml with one more document at the end, in the file's layout."""
    lines = [f"- id: {_id(raw['id'])}\n"]
    for key in ("document", "title", "issuer"):
        lines.append(f"  {key}: {_q(raw[key])}\n")
    lines.append(f"  date: {raw['date'].isoformat()}\n")
    lines.append(f"  file: {raw['file']}\n")
    lines.append(f"  cite: {_q(raw['cite'])}\n")
    after = source + ("" if source.endswith("\n") or not source else "\n") + "".join(lines)
    docs = yaml.safe_load(after) or []
    if not any(str(d.get("id")) == str(raw["id"]) for d in docs):
        raise EntryEditError(f"the new document {raw['id']!r} would not read back")
    return after


def render_contacts(source: str, contacts: Sequence[Mapping[str, Any]]) -> str:
    """contacts.yaml with its `contacts:` list replaced (the comments and settings above it kept)."""
    lines = source.splitlines(keepends=True)
    at = max((i for i, line in enumerate(lines) if re.match(r"contacts:", line)), default=len(lines))
    head = "".join(lines[:at])
    if head and not head.endswith("\n"):
        head += "\n"
    if not contacts:
        return head + "contacts: []\n"
    out = ["contacts:\n"]
    for c in contacts:
        out.append(f"  - province: {_id(c['province'])}\n")
        out.extend(f"    {key}: {_q(c[key])}\n" for key in ("office", "name", "address", "phone", "hours", "source"))
        reviewed = c["reviewed"]
        out.append(f"    reviewed: {reviewed.isoformat() if isinstance(reviewed, dt.date) else _q(reviewed)}\n")
    after = head + "".join(out)
    if len((yaml.safe_load(after) or {}).get("contacts") or []) != len(contacts):
        raise EntryEditError("the contacts would not read back")
    return after
