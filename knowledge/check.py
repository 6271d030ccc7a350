"""`laodong kb check`: the rules of design.md §3, as a list of problems."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

from knowledge.model import (
    ENTRY_TOPICS,
    FORMER_OFFICES,
    REORGANISATION_DOC,
    SCOPES,
    Document,
    Entry,
    KnowledgeBase,
)

MAX_ANSWER_CHARS = 800
MAX_FIRST_SCREEN_WORDS = 60  # the first paragraph answers the question on one phone screen
MAX_TITLE_CHARS = 60
MIN_EXAMPLES = 5

_NUMBER = re.compile(r"\d+(?:[.,/]\d+)*")
_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_SPELLED_DATE = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+(\d{4})")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_ENGLISH_DATE = re.compile(r"(\d{1,2})\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})", re.IGNORECASE)
_LINK = re.compile(r"(https?://|www\.|\b[\w-]+\.(?:vn|com|org|net|gov)\b|@\w)", re.IGNORECASE)
_MONEY = re.compile(r"\d[\d.,]*\s*(?:đ\b|đồng|vnđ|vnd|triệu|nghìn|ngàn|usd|\$|yên|won)", re.IGNORECASE)
_PHONE = re.compile(r"(?:\+?84|0)(?:[\s.-]?\d){8,10}")
_CURRENT_OFFICES = re.compile(
    r"(Sở Nội vụ|Sở Y tế|Sở Giáo dục và Đào tạo|Sở Nông nghiệp và Môi trường|Công an tỉnh|"
    r"Bộ Nội vụ|Bộ Y tế|Bộ Giáo dục và Đào tạo|cấp xã|UBND xã|Ủy ban nhân dân xã)",
    re.IGNORECASE,
)


def canonical_number(token: str) -> str:
    """1.000 → 1000, 06 → 6, 21/06/2023 → 21/6/2023."""
    if _THOUSANDS.match(token):
        token = token.replace(".", "")
    parts = token.split("/")
    return "/".join(p.lstrip("0") or "0" if p.isdigit() else p for p in parts)


def numbers_in(text: str) -> list[str]:
    return [canonical_number(t) for t in _NUMBER.findall(text)]


@lru_cache(maxsize=16)
def _source_numbers(text: str) -> frozenset[str]:
    found: set[str] = set()
    flat = " ".join(text.split())
    for d, m, y in _SPELLED_DATE.findall(flat):
        found.add(canonical_number(f"{d}/{m}/{y}"))
    for d, month, y in _ENGLISH_DATE.findall(flat):
        found.add(canonical_number(f"{d}/{_MONTHS.index(month.lower()) + 1}/{y}"))
    for token in _NUMBER.findall(flat):
        found.add(canonical_number(token))
    # Every part of a date or a reference stands on its own too (21/06/2023 → 21/6, 6/2023, 21 …).
    for token in list(found):
        parts = token.split("/")
        for i in range(len(parts)):
            for j in range(i + 1, len(parts) + 1):
                found.add("/".join(parts[i:j]))
        for p in re.split(r"[.,]", token):
            found.add(canonical_number(p))
    return frozenset(found)


def document_numbers(doc: Document) -> frozenset[str]:
    return _source_numbers(doc.text())


def _digits(phone: str) -> str:
    """A phone number's digits, the country code 84 written as a leading 0 (+84 981 … = 0981 …)."""
    digits = re.sub(r"\D", "", phone)
    international = phone.lstrip().startswith("+84") or (digits.startswith("84") and len(digits) > 10)
    return "0" + digits[2:] if international else digits


@lru_cache(maxsize=16)
def _source_phones(text: str) -> frozenset[str]:
    return frozenset(_digits(m.group()) for m in _PHONE.finditer(" ".join(text.split())))


def document_phones(doc: Document) -> frozenset[str]:
    """The phone numbers a document's text gives (digits only)."""
    return _source_phones(doc.text())


def _check_entry(kb: KnowledgeBase, entry: Entry) -> Iterable[str]:
    where = f"{entry.file} {entry.id}"
    if not re.fullmatch(r"[a-z0-9_]+", entry.id):
        yield f"{where}: id must be lowercase ascii letters, digits and _"
    if entry.topic not in ENTRY_TOPICS:
        yield f"{where}: unknown topic {entry.topic!r}"
    if entry.scope not in SCOPES:
        yield f"{where}: unknown scope {entry.scope!r}"
    if not entry.title or len(entry.title) > MAX_TITLE_CHARS:
        yield f"{where}: title must be 1–{MAX_TITLE_CHARS} characters"
    if not entry.answer:
        yield f"{where}: empty answer"
    if len(entry.answer) > MAX_ANSWER_CHARS:
        yield f"{where}: answer is {len(entry.answer)} characters (at most {MAX_ANSWER_CHARS})"
    first_words = len(entry.first_screen.split())
    if first_words > MAX_FIRST_SCREEN_WORDS:
        yield (
            f"{where}: first screen (the first paragraph) is {first_words} words "
            f"(at most {MAX_FIRST_SCREEN_WORDS}): answer the question in one or two sentences, details after"
        )
    if unicodedata.normalize("NFC", entry.answer) != entry.answer:
        yield f"{where}: answer is not NFC"
    if not entry.sources:
        yield f"{where}: no source"
    cited: list[Document] = []
    for ref in entry.sources:
        if ref.doc not in kb.documents:
            yield f"{where}: source document {ref.doc!r} is not in documents.yaml"
        else:
            cited.append(kb.documents[ref.doc])
        if not ref.section:
            yield f"{where}: source {ref.doc!r} has no section"
    if cited:
        known = frozenset().union(*(document_numbers(d) for d in cited))
        for number in numbers_in(entry.answer):
            if number not in known:
                yield f"{where}: figure {number!r} in the answer does not occur in the cited source text"
    for pattern, what in ((_LINK, "a web link or e-mail"), (_MONEY, "a fee or price")):
        if pattern.search(entry.answer):
            yield f"{where}: answer holds {what}; the plans give none, the bot must not state one"
    # A phone number only as the cited source gives it (the citizen-protection hotline); never invented.
    cited_phones = frozenset().union(*(document_phones(d) for d in cited)) if cited else frozenset()
    for match in _PHONE.finditer(entry.answer):
        if _digits(match.group()) not in cited_phones:
            yield f"{where}: answer holds a phone number that does not occur in the cited source text"
    yield from _check_offices(kb, entry, where)
    if len(entry.examples) < MIN_EXAMPLES:
        yield f"{where}: {len(entry.examples)} example questions (at least {MIN_EXAMPLES})"
    for rel in entry.related:
        if rel == entry.id:
            yield f"{where}: related to itself"
        elif rel not in kb.entries:
            yield f"{where}: related entry {rel!r} does not exist"
    if entry.reviewed is None:
        yield f"{where}: no review date"


def _check_offices(kb: KnowledgeBase, entry: Entry, where: str) -> Iterable[str]:
    """Entries name the office that does the work now; the 2025 change is said once, by the Responder."""
    docs = [r.doc for r in entry.sources]
    cites_2025 = REORGANISATION_DOC in docs
    if FORMER_OFFICES.search(entry.answer):
        # Only an entry about the reorganisation itself (its first source) names the former office,
        # and then it names the current one too; every other entry leaves that to `office_change`.
        if not (docs and docs[0] == REORGANISATION_DOC and _CURRENT_OFFICES.search(entry.answer)):
            yield (
                f"{where}: answer names a former office; name only the current one (the 2025 change is "
                f"said once per conversation, responses.yaml office_change) unless the entry is about "
                f"the reorganisation (first source {REORGANISATION_DOC}), which names the current one too"
            )
    elif kb.offices_named(entry.answer) and not cites_2025:
        yield (
            f"{where}: answer names {', '.join(kb.offices_named(entry.answer))}; cite {REORGANISATION_DOC} "
            f"(sources/context-2025.md), which the office-change note quotes"
        )


def _check_office_change(kb: KnowledgeBase) -> Iterable[str]:
    """responses.yaml `office_change`: the note names the former office, figures from the 2025 notes."""
    change = kb.responses.get("office_change")
    if not isinstance(change, dict) or "{offices}" not in str(change.get("note")) or not change.get("offices"):
        yield "responses.yaml: missing 'office_change' (a note with {offices}, and the offices)"
        return
    offices = kb.office_change_offices()
    for office in offices:
        if not _CURRENT_OFFICES.fullmatch(office):
            yield f"responses.yaml office_change: {office!r} is not a current office (sources/context-2025.md)"
    note = kb.office_change_note(offices)
    if not FORMER_OFFICES.search(note):
        yield "responses.yaml office_change: the note must name the former office"
    doc = kb.documents.get(REORGANISATION_DOC)
    known = document_numbers(doc) if doc else frozenset()
    for number in numbers_in(note):
        if number not in known:
            yield f"responses.yaml office_change: figure {number!r} does not occur in {REORGANISATION_DOC}"


_CONTACT_PHONE = re.compile(r"\+?[\d][\d .()-]{6,20}\d")


def _check_contacts(kb: KnowledgeBase) -> Iterable[str]:
    """contacts.yaml: public office contacts, each for a known province and a current office, with
    its source and review date; never for an office the 2025 reorganisation dissolved."""
    offices = kb.office_change_offices()
    line = str(kb.contact_text.get("line", ""))
    if kb.contacts and "{name}" not in line:
        yield "contacts.yaml: `line` must show {name}, {address}, {phone}, {hours}, {source}, {reviewed}"
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(kb.contacts, start=1):
        where = f"contacts.yaml contact {i} ({c.name or c.office})"
        if c.province not in kb.provinces:
            yield f"{where}: province {c.province!r} is not in provinces.yaml"
        if c.office not in offices:
            yield f"{where}: office {c.office!r} is not a current office ({', '.join(offices)})"
        for name in ("name", "address", "phone", "hours", "source"):
            if not getattr(c, name):
                yield f"{where}: missing {name}"
        if c.phone and not _CONTACT_PHONE.fullmatch(c.phone):
            yield f"{where}: phone {c.phone!r} is not a phone number"
        if c.reviewed is None:
            yield f"{where}: no review date"
        if FORMER_OFFICES.search(c.name):
            yield f"{where}: names a former office"
        if (c.province, c.office) in seen:
            yield f"{where}: a second contact for {c.office} in {c.province}"
        seen.add((c.province, c.office))


def check_knowledge(kb: KnowledgeBase, *, question_key: Callable[[str], str]) -> list[str]:
    """Every problem in the knowledge base; an empty list means it is fit to serve.

    `question_key` maps an example question to what the NLU reads of it (nlu.normalize.fold_key,
    passed in: knowledge imports nothing of ours); two examples with one key are duplicates.
    """
    problems = list(kb.problems)
    seen_examples: dict[str, str] = {}
    groups: dict[tuple[str, str], str] = {}
    for entry in kb.entries.values():
        problems.extend(_check_entry(kb, entry))
        for q in (*entry.examples,):
            key = question_key(q)
            if not key:
                problems.append(f"{entry.file} {entry.id}: blank example question")
            elif key in seen_examples and seen_examples[key] != entry.id:
                problems.append(f"{entry.file} {entry.id}: example {q!r} duplicates one of {seen_examples[key]}")
            elif key in seen_examples:
                problems.append(f"{entry.file} {entry.id}: example {q!r} is listed twice")
            seen_examples[key] = entry.id
        if entry.group:
            other = groups.get((entry.group, entry.scope))
            if other:
                problems.append(
                    f"{entry.file} {entry.id}: group {entry.group!r} already has {other} in scope {entry.scope}"
                )
            groups[(entry.group, entry.scope)] = entry.id
    for key in ("greeting", "menu", "fallback", "clarify", "ask_province", "non_text", "topics"):
        if key not in kb.responses:
            problems.append(f"responses.yaml: missing {key!r}")
    problems.extend(_check_office_change(kb))
    problems.extend(_check_contacts(kb))
    for key, value in kb.responses.items():
        text = str(value)
        if _LINK.search(text) or _PHONE.search(text) or _MONEY.search(text):
            problems.append(f"responses.yaml {key}: holds a link, phone number or fee")
    if not kb.entries:
        problems.append("no entries under knowledge/entries/")
    return problems
