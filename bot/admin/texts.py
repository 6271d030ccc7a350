"""The dashboard's words for stored codes (labels.yaml), and local time (Việt Nam, UTC+7)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from knowledge.model import KnowledgeBase
from knowledge.yamlfile import read_yaml

LABELS_FILE = Path(__file__).with_name("labels.yaml")
# Việt Nam keeps UTC+7 all year; days, months and charts follow it.
LOCAL_TZ = dt.timezone(dt.timedelta(hours=7), "ICT")
LOCAL_OFFSET_HOURS = 7


@lru_cache(maxsize=4)
def load_labels(path: Path = LABELS_FILE) -> Mapping[str, Any]:
    return read_yaml(path) or {}


class Pressed(Protocol):
    """What `Labels.said` reads of an inquiry record."""

    @property
    def message_kind(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def outcome(self) -> str: ...

    @property
    def topic(self) -> str: ...

    @property
    def entry_id(self) -> str | None: ...

    @property
    def province(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Labels:
    """Labels for codes; an unknown code shows as itself."""

    data: Mapping[str, Any]
    topics: Mapping[str, str]
    provinces: Mapping[str, str] = field(default_factory=dict)  # slug → the province's name
    entries: Mapping[str, str] = field(default_factory=dict)  # entry id → its title

    @classmethod
    def for_kb(cls, kb: KnowledgeBase, path: Path = LABELS_FILE) -> Labels:
        data = load_labels(path)
        topics = {**{str(k): str(v) for k, v in kb.responses.get("topics", {}).items()}, **data["topics"]}
        provinces = {p.id: p.name for p in kb.provinces.values()}
        entries = {e.id: e.title for e in kb.entries.values()}
        return cls(data=data, topics=topics, provinces=provinces, entries=entries)

    def of(self, section: str, code: str | None) -> str:
        if code is None:
            return ""
        return str(self.data.get(section, {}).get(code, code))

    def topic(self, code: str | None) -> str:
        return self.topics.get(code or "", code or "")

    def province(self, code: str | None) -> str:
        """The province's name (an unknown slug shows as itself; none as nothing)."""
        return self.provinces.get(code or "", code or "")

    def said(self, inquiry: Pressed) -> str:
        """What the worker sent, as the log shows it: a button press (stored without text) as
        "[nút] …" with what the button chose, read from what the bot did with it."""
        if inquiry.message_kind != "button" or inquiry.text:
            return inquiry.text
        if inquiry.outcome == "province" and inquiry.province:
            chosen = self.province(inquiry.province)
        elif inquiry.outcome == "answer" and inquiry.entry_id:
            chosen = self.entries.get(inquiry.entry_id, inquiry.entry_id)
        elif inquiry.outcome == "topic_menu":
            chosen = self.topic(inquiry.topic)
        else:
            chosen = self.of("outcomes", inquiry.outcome)
        return str(self.data["button"]).format(label=chosen)

    def problem(self, code: str, values: Iterable[tuple[str, str]]) -> str:
        """An enterprise-list problem in Vietnamese (bot/enterprises/listfile.py PROBLEMS codes)."""
        wording = self.data["enterprise_problems"].get(code)
        return str(wording).format(**dict(values)) if wording else code

    def kb_problem(self, problem: str) -> str:
        """A kb check problem in Vietnamese ("<file> <entry>: <what>" → "Mục <entry>: <in Vietnamese>");
        one this file has no wording for shows as kb check wrote it."""
        where, _, what = problem.partition(": ")
        entry = where.split(" ")[-1] if " " in where else where
        for rule in self.data.get("kb_problems") or []:
            found = re.search(str(rule["pattern"]), what)
            if found:
                said = str(rule["text"]).format(**found.groupdict())
                if where.startswith("contacts.yaml"):
                    return str(self.data["kb_problem_contact"]).format(problem=said)
                return str(self.data["kb_problem_where"]).format(entry=entry, problem=said)
        return problem

    def message(self, key: str | None) -> str | None:
        """The message for ?msg=KEY, or None for a key this file does not know."""
        return self.data["messages"].get(key) if key else None

    def report(self, *path: str) -> str:
        node: Any = self.data["report"]
        for part in path:
            node = node[part]
        return str(node)


def as_utc(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC datetime (SQLite hands them back naive)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def to_local(value: dt.datetime) -> dt.datetime:
    return as_utc(value).astimezone(LOCAL_TZ)


def local_midnight(day: dt.date) -> dt.datetime:
    """The UTC instant a local day begins."""
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ).astimezone(dt.UTC)


def local_today(now: dt.datetime) -> dt.date:
    return to_local(now).date()


def parse_month(month: str) -> tuple[dt.date, dt.date]:
    """'2026-03' → (first day, first day of the next month); ValueError if it is no YYYY-MM."""
    if len(month) != 7 or month[4] != "-":
        raise ValueError(f"{month!r} is not YYYY-MM")
    first = dt.datetime.strptime(month, "%Y-%m").date()
    after = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, after


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
