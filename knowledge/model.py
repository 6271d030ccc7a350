"""The knowledge base as plain data: documents, entries, responses, provinces."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent

ENTRY_TOPICS = ("work_abroad", "pre_departure", "vocational", "employment", "social_assistance")
TOPICS = (*ENTRY_TOPICS, "chitchat", "human", "out_of_scope")
SCOPES = ("national", "kien-giang", "lao-cai")
REORGANISATION_DOC = "sapxep-2025"  # the 2025 reorganisation notes (sources/context-2025.md)
# Offices that no longer exist under these names (sources/context-2025.md).
FORMER_OFFICES = re.compile(
    r"(Sở Lao động\s*[-–]\s*Thương binh|Sở LĐ-TB&XH|Sở LĐTBXH|Phòng Lao động|UBND (các )?huyện|"
    r"Ủy ban nhân dân (các )?huyện|Bộ Lao động)",
    re.IGNORECASE,
)
# A section as the source line shows it: its number when it has one ("III.2.a Hội nhập …" → "III.2.a").
_SECTION_NUMBER = re.compile(r"^(?:[IVX]+|\d+)(?:\.\d+)*(?:\.[a-zđ])?(?=[\s.;,]|$)")


class KnowledgeError(ValueError):
    """The knowledge files cannot be read as a knowledge base."""


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    document: str
    title: str
    issuer: str
    date: dt.date
    file: Path
    cite: str

    def text(self) -> str:
        return self.file.read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class SourceRef:
    doc: str
    section: str


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    topic: str
    scope: str
    title: str
    answer: str
    sources: tuple[SourceRef, ...]
    examples: tuple[str, ...]
    related: tuple[str, ...] = ()
    group: str | None = None
    reviewed: dt.date | None = None
    file: str = ""

    @property
    def first_screen(self) -> str:
        """The first paragraph: one or two sentences that answer the question (kb check holds it short)."""
        return self.answer.split("\n\n", 1)[0].strip()


@dataclass(frozen=True, slots=True)
class Province:
    id: str
    name: str
    aliases: tuple[str, ...]
    has_plan: bool


@dataclass(slots=True)
class KnowledgeBase:
    documents: dict[str, Document]
    entries: dict[str, Entry]
    responses: dict[str, Any]
    provinces: dict[str, Province]
    problems: list[str] = field(default_factory=list)

    def by_group(self, group: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.group == group]

    def by_topic(self, topic: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic]

    def text(self, key: str) -> str:
        """The response text for key (a list of lines is joined)."""
        value = self.responses[key]
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return str(value)

    def source_dicts(self, entry: Entry) -> list[dict[str, str]]:
        """The sources of an entry as the `--json` contract shows them."""
        out = []
        for ref in entry.sources:
            doc = self.documents[ref.doc]
            out.append(
                {
                    "document": doc.document,
                    "issuer": doc.issuer,
                    "date": doc.date.isoformat(),
                    "section": ref.section,
                }
            )
        return out

    def source_line(self, entry: Entry) -> str:
        """One short line naming the plan (and section number) behind an answer; `sources` keeps the rest."""
        first = entry.sources[0]
        parts = [f"{self.documents[first.doc].cite} (mục {short_section(first.section)})"]
        for ref in entry.sources[1:]:
            cite = self.documents[ref.doc].cite
            if ref.doc != first.doc and cite not in parts:
                parts.append(cite[0].lower() + cite[1:])
        return self.text("source_prefix") + "; ".join(parts)

    def office_change_offices(self) -> list[str]:
        """The offices that took over the work of the dissolved one (responses.yaml `office_change`)."""
        return [str(office) for office in (self.responses.get("office_change") or {}).get("offices") or []]

    def offices_named(self, text: str) -> list[str]:
        """The offices of `office_change` that a text names, in the order it names them."""
        found = [(text.find(office), office) for office in self.office_change_offices() if office in text]
        return [office for _, office in sorted(found)]

    def office_change_note(self, offices: Sequence[str]) -> str:
        """The 2025 office change, said once per conversation, naming the offices an answer names."""
        if not offices:
            return ""
        return str(self.responses["office_change"]["note"]).format(offices=", ".join(offices))


def short_section(section: str) -> str:
    """The first section a source names, by its number where it has one."""
    first = section.split(";")[0].strip()
    number = _SECTION_NUMBER.match(first)
    return number.group(0) if number else re.split(r"\s*[(:]", first)[0] or first


def _as_date(value: Any, where: str, problems: list[str]) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: reviewed/date {value!r} is not a date (YYYY-MM-DD)")
        return None


# libyaml's safe loader when PyYAML was built with it: the same data, about ten times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(path: Path) -> Any:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{path}: not valid YAML: {exc}") from exc


def _load_documents(root: Path) -> dict[str, Document]:
    docs: dict[str, Document] = {}
    for raw in _load_yaml(root / "documents.yaml") or []:
        date = raw["date"] if isinstance(raw["date"], dt.date) else dt.date.fromisoformat(raw["date"])
        docs[raw["id"]] = Document(
            id=raw["id"],
            document=raw["document"],
            title=raw.get("title", raw["document"]),
            issuer=raw["issuer"],
            date=date,
            file=root / raw["file"],
            cite=raw["cite"],
        )
    return docs


def _load_entries(root: Path, problems: list[str]) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for path in sorted((root / "entries").glob("*/*.yaml")):
        rel = str(path.relative_to(root))
        data = _load_yaml(path) or {}
        scope, topic = data.get("scope"), data.get("topic")
        if scope != path.parent.name:
            problems.append(f"{rel}: scope {scope!r} does not match its folder {path.parent.name!r}")
        if topic not in ENTRY_TOPICS:
            problems.append(f"{rel}: topic {topic!r} is not one of {', '.join(ENTRY_TOPICS)}")
            continue
        for i, raw in enumerate(data.get("entries") or []):
            where = f"{rel} entry {raw.get('id', i)!r}"
            try:
                entry = Entry(
                    id=str(raw["id"]),
                    topic=str(topic),
                    scope=str(scope),
                    title=str(raw["title"]).strip(),
                    answer=str(raw["answer"]).strip(),
                    sources=tuple(
                        SourceRef(doc=str(s["doc"]), section=str(s.get("section") or "").strip())
                        for s in raw.get("sources") or []
                    ),
                    examples=tuple(str(q).strip() for q in raw.get("examples") or []),
                    related=tuple(str(r) for r in raw.get("related") or []),
                    group=str(raw["group"]) if raw.get("group") else None,
                    reviewed=_as_date(raw.get("reviewed"), where, problems),
                    file=rel,
                )
            except (KeyError, TypeError) as exc:
                problems.append(f"{where}: missing or malformed field {exc}")
                continue
            if entry.id in entries:
                problems.append(f"{where}: duplicate id (also in {entries[entry.id].file})")
                continue
            entries[entry.id] = entry
    return entries


def _load_provinces(root: Path) -> dict[str, Province]:
    provinces = {}
    for raw in _load_yaml(root / "provinces.yaml") or []:
        provinces[raw["id"]] = Province(
            id=raw["id"],
            name=raw["name"],
            aliases=tuple(raw.get("aliases") or ()),
            has_plan=bool(raw.get("has_plan", False)),
        )
    return provinces


def load_knowledge(root: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    """Load documents, entries, responses and provinces from a knowledge folder."""
    problems: list[str] = []
    responses = _load_yaml(root / "responses.yaml") or {}
    if not isinstance(responses, Mapping):
        raise KnowledgeError(f"{root / 'responses.yaml'}: expected a mapping of key → text")
    return KnowledgeBase(
        documents=_load_documents(root),
        entries=_load_entries(root, problems),
        responses=dict(responses),
        provinces=_load_provinces(root),
        problems=problems,
    )


def iter_examples(kb: KnowledgeBase) -> Iterable[tuple[str, str]]:
    """(entry id, example question) pairs, titles included."""
    for entry in kb.entries.values():
        yield entry.id, entry.title
        for q in entry.examples:
            yield entry.id, q
