"""The knowledge base as plain data: documents, entries, responses, provinces."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from knowledge.yamlfile import parse_yaml

KNOWLEDGE_DIR = Path(__file__).resolve().parent

ENTRY_TOPICS = ("work_abroad", "pre_departure", "vocational", "employment", "social_assistance")
TOPICS = (*ENTRY_TOPICS, "chitchat", "human", "out_of_scope")
SCOPES = ("national", "kien-giang", "lao-cai")
CONTACT_FIELDS = ("province", "office", "name", "address", "phone", "hours", "source")
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
    content: str | None = None  # the text itself, when the knowledge came from the database

    def text(self) -> str:
        return self.content if self.content is not None else self.file.read_text(encoding="utf-8")


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


@dataclass(frozen=True, slots=True)
class Contact:
    """An office a worker can go to or call, in one province (public data, with its source)."""

    province: str
    office: str  # one of the current offices (responses.yaml office_change offices)
    name: str
    address: str
    phone: str
    hours: str
    source: str
    reviewed: dt.date | None


@dataclass(slots=True)
class KnowledgeBase:
    documents: dict[str, Document]
    entries: dict[str, Entry]
    responses: dict[str, Any]
    provinces: dict[str, Province]
    problems: list[str] = field(default_factory=list)
    contacts: list[Contact] = field(default_factory=list)  # contacts.yaml
    contact_text: dict[str, Any] = field(default_factory=dict)  # contacts.yaml `line` and `asks`

    def contact(self, province: str | None, office: str) -> Contact | None:
        """The office's contact in a province, if one is known."""
        return next((c for c in self.contacts if c.province == province and c.office == office), None)

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


class _Folder:
    """The files of a knowledge folder: on disk, or given as {relative path: text} (a published version)."""

    def __init__(self, root: Path, files: Mapping[str, str] | None = None) -> None:
        self.root = root
        self.files = files

    def read(self, rel: str) -> str:
        if self.files is None:
            return (self.root / rel).read_text(encoding="utf-8")
        if rel not in self.files:
            raise KnowledgeError(f"{self.root / rel}: missing")
        return self.files[rel]

    def content(self, rel: str) -> str | None:
        """A document's text when the files are in memory (on disk: read when needed)."""
        return None if self.files is None else self.files.get(rel, "")

    def has(self, rel: str) -> bool:
        return (self.root / rel).is_file() if self.files is None else rel in self.files

    def entry_files(self) -> list[str]:
        """entries/<scope>/<topic>.yaml, in the same order on disk and in memory."""
        if self.files is None:
            found = [str(p.relative_to(self.root)) for p in (self.root / "entries").glob("*/*.yaml")]
        else:
            found = [r for r in self.files if re.fullmatch(r"entries/[^/]+/[^/]+\.yaml", r)]
        return sorted(found, key=lambda rel: tuple(rel.split("/")))

    def yaml(self, rel: str) -> Any:
        try:
            return parse_yaml(self.read(rel))
        except yaml.YAMLError as exc:
            raise KnowledgeError(f"{self.root / rel}: not valid YAML: {exc}") from exc


def _load_documents(folder: _Folder) -> dict[str, Document]:
    docs: dict[str, Document] = {}
    for raw in folder.yaml("documents.yaml") or []:
        date = raw["date"] if isinstance(raw["date"], dt.date) else dt.date.fromisoformat(raw["date"])
        docs[raw["id"]] = Document(
            id=raw["id"],
            document=raw["document"],
            title=raw.get("title", raw["document"]),
            issuer=raw["issuer"],
            date=date,
            file=folder.root / raw["file"],
            cite=raw["cite"],
            content=folder.content(str(raw["file"])),
        )
    return docs


def _entry(raw: dict[str, Any], topic: str, scope: str, rel: str, where: str, problems: list[str]) -> Entry:
    return Entry(
        id=str(raw["id"]),
        topic=topic,
        scope=scope,
        title=str(raw["title"]).strip(),
        answer=str(raw["answer"]).strip(),
        sources=tuple(
            SourceRef(doc=str(s["doc"]), section=str(s.get("section") or "").strip()) for s in raw.get("sources") or []
        ),
        examples=tuple(str(q).strip() for q in raw.get("examples") or []),
        related=tuple(str(r) for r in raw.get("related") or []),
        group=str(raw["group"]) if raw.get("group") else None,
        reviewed=_as_date(raw.get("reviewed"), where, problems),
        file=rel,
    )


def _load_entries(folder: _Folder, problems: list[str]) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for rel in folder.entry_files():
        folder_name = rel.split("/")[1]
        data = folder.yaml(rel) or {}
        scope, topic = data.get("scope"), data.get("topic")
        if scope != folder_name:
            problems.append(f"{rel}: scope {scope!r} does not match its folder {folder_name!r}")
        if topic not in ENTRY_TOPICS:
            problems.append(f"{rel}: topic {topic!r} is not one of {', '.join(ENTRY_TOPICS)}")
            continue
        for i, raw in enumerate(data.get("entries") or []):
            where = f"{rel} entry {raw.get('id', i)!r}"
            try:
                entry = _entry(raw, str(topic), str(scope), rel, where, problems)
            except (KeyError, TypeError, AttributeError) as exc:
                problems.append(f"{where}: missing or malformed field {exc}")
                continue
            if entry.id in entries:
                problems.append(f"{where}: duplicate id (also in {entries[entry.id].file})")
                continue
            entries[entry.id] = entry
    return entries


def _load_provinces(folder: _Folder) -> dict[str, Province]:
    provinces = {}
    for raw in folder.yaml("provinces.yaml") or []:
        provinces[raw["id"]] = Province(
            id=raw["id"],
            name=raw["name"],
            aliases=tuple(raw.get("aliases") or ()),
            has_plan=bool(raw.get("has_plan", False)),
        )
    return provinces


def _load_contacts(folder: _Folder, problems: list[str]) -> list[Contact]:
    """contacts.yaml: offices per province (an optional file)."""
    contacts: list[Contact] = []
    data = folder.yaml("contacts.yaml") if folder.has("contacts.yaml") else None
    for i, raw in enumerate((data or {}).get("contacts") or [] if isinstance(data, dict) else []):
        where = f"contacts.yaml contact {i + 1}"
        try:
            fields = {k: str(raw.get(k) or "").strip() for k in CONTACT_FIELDS}
            contacts.append(Contact(**fields, reviewed=_as_date(raw.get("reviewed"), where, problems)))
        except (AttributeError, TypeError) as exc:
            problems.append(f"{where}: malformed ({exc})")
    return contacts


def _contact_text(folder: _Folder) -> dict[str, Any]:
    data = folder.yaml("contacts.yaml") if folder.has("contacts.yaml") else None
    return {k: v for k, v in data.items() if k != "contacts"} if isinstance(data, dict) else {}


def _load(folder: _Folder) -> KnowledgeBase:
    problems: list[str] = []
    responses = folder.yaml("responses.yaml") or {}
    if not isinstance(responses, Mapping):
        raise KnowledgeError(f"{folder.root / 'responses.yaml'}: expected a mapping of key → text")
    return KnowledgeBase(
        documents=_load_documents(folder),
        entries=_load_entries(folder, problems),
        responses=dict(responses),
        provinces=_load_provinces(folder),
        problems=problems,
        contacts=_load_contacts(folder, problems),
        contact_text=_contact_text(folder),
    )


def load_knowledge(root: Path = KNOWLEDGE_DIR) -> KnowledgeBase:
    """Load documents, entries, responses and provinces from a knowledge folder."""
    return _load(_Folder(root))


def load_knowledge_files(files: Mapping[str, str], name: str = "published") -> KnowledgeBase:
    """The same, from a knowledge folder's files held in memory ({relative path: text}), e.g. a
    version published in the database; `name` stands for the folder in messages."""
    return _load(_Folder(Path(name), files))


def iter_examples(kb: KnowledgeBase) -> Iterable[tuple[str, str]]:
    """(entry id, example question) pairs, titles included."""
    for entry in kb.entries.values():
        yield entry.id, entry.title
        for q in entry.examples:
            yield entry.id, q
