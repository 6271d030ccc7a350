"""What the list says about the company a message names: the enterprises of the official list,
and the lookup over any directory of them (directory.py indexes the list for fuzzy matching).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from actions.brokers.names import find_mention, message_words
from actions.brokers.rules import MatchingRules
from nlu.normalize import Normalized


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One enterprise of the official list."""

    name: str
    licence_no: str
    licence_date: dt.date | None
    status: str  # active, suspended, revoked
    list_date: dt.date

    def as_json(self) -> dict[str, str]:
        """The `enterprise` object of `laodong ask --json`."""
        return {
            "name": self.name,
            "licence_no": self.licence_no,
            "status": self.status,
            "list_date": self.list_date.isoformat(),
        }

    def snapshot(self) -> dict[str, str | None]:
        """A plain dict for the conversation state (a choice offered to the worker)."""
        return {
            **self.as_json(),
            "licence_date": self.licence_date.isoformat() if self.licence_date else None,
        }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> Enterprise:
        licence_date = data.get("licence_date")
        return cls(
            name=str(data["name"]),
            licence_no=str(data["licence_no"]),
            licence_date=dt.date.fromisoformat(licence_date) if licence_date else None,
            status=str(data["status"]),
            list_date=dt.date.fromisoformat(str(data["list_date"])),
        )


class Directory(Protocol):
    """The licensed list as the lookup reads it (directory.py `EnterpriseDirectory`)."""

    rules: MatchingRules
    loaded: bool
    list_date: dt.date | None

    def match(self, query: str) -> list[tuple[Enterprise, float]]: ...

    def bare(self, tokens: Iterable[str]) -> list[Enterprise]: ...


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the list says about the company a message names."""

    name: str  # as the worker wrote it (or the listed name, when named in full)
    matches: tuple[Enterprise, ...]  # one: found; several: ask which; none: not listed
    loaded: bool  # False: no list was imported, so nothing can be said
    list_date: dt.date | None

    @property
    def found(self) -> Enterprise | None:
        return self.matches[0] if self.loaded and len(self.matches) == 1 else None


def look_up(
    text: str, norm: Normalized, directory: Directory, topic: str | None = None, warned: bool = False
) -> Lookup | None:
    """The company a message asks about (or, `warned`, reports) and what the list says of it; None if none."""
    rules = directory.rules
    read = message_words(text, rules)  # read once: for a name after a trigger word, else a listed name in full
    mention = find_mention(text, rules, read)
    if mention is not None:
        matches: list[tuple[Enterprise, float]] = []
        for query in mention.queries:  # the longest reading of the name that fits wins
            matches = directory.match(query)
            if matches:
                break
        if matches:
            return Lookup(mention.text, tuple(e for e, _ in matches), directory.loaded, directory.list_date)
        if mention.text and (warned or topic == "work_abroad" or rules.cues.search(norm.folded)):
            return Lookup(mention.text, (), directory.loaded, directory.list_date)
        return None
    if not directory.loaded:
        return None
    named = directory.bare(w.folded for w in read[1])
    if named:
        shown = named[0].name if len(named) == 1 else " / ".join(e.name for e in named)
        return Lookup(shown, tuple(named), True, directory.list_date)
    return None
