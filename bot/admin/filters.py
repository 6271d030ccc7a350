"""The inquiry log's filters: parsed from a query string, turned into SQL conditions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, literal_column
from sqlalchemy import func as sql

from bot.admin.texts import LOCAL_OFFSET_HOURS, local_midnight
from bot.store.models import Inquiry
from knowledge.model import ENTRY_TOPICS
from nlu.normalize import fold_key

MAX_VALUE_CHARS = 96
MAX_SEARCH_WORDS = 8
FEEDBACK_CHOICES = ("up", "down", "any", "none")
ANSWERED_CHOICES = {"yes": True, "no": False}


EARLIEST, LATEST = dt.date(1970, 1, 1), dt.date(2999, 12, 31)  # beyond: dropped like a date that does not parse


def _date(value: str | None) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or EARLIEST <= day <= LATEST else None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()[:MAX_VALUE_CHARS]
    return value or None


@dataclass(frozen=True, slots=True)
class LogFilter:
    """What an official narrowed the log to; every field optional, dates in local days (inclusive)."""

    start: dt.date | None = None
    end: dt.date | None = None
    province: str | None = None
    topic: str | None = None
    channel: str | None = None
    campaign: str | None = None
    outcome: str | None = None
    answered: bool | None = None
    warning: bool | None = None  # showed a sign of an illegal broker or scam (actions/brokers.py)
    feedback: str | None = None
    q: str | None = None

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> LogFilter:
        """Read a filter from request parameters, dropping what does not parse."""
        feedback = query.get("feedback")
        return cls(
            start=_date(query.get("start")),
            end=_date(query.get("end")),
            province=_text(query.get("province")),
            topic=_text(query.get("topic")),
            channel=_text(query.get("channel")),
            campaign=_text(query.get("campaign")),
            outcome=_text(query.get("outcome")),
            answered=ANSWERED_CHOICES.get(query.get("answered") or ""),
            warning=ANSWERED_CHOICES.get(query.get("warning") or ""),
            feedback=feedback if feedback in FEEDBACK_CHOICES else None,
            q=_text(query.get("q")),
        )

    def query(self) -> dict[str, str]:
        """The filter as query parameters (for links that keep it)."""
        out: dict[str, str] = {}
        for f in fields(self):
            value: Any = getattr(self, f.name)
            if value is None:
                continue
            if isinstance(value, bool):
                value = "yes" if value else "no"
            out[f.name] = value.isoformat() if isinstance(value, dt.date) else str(value)
        return out

    def conditions(self) -> list[ColumnElement[bool]]:
        """SQL conditions on `inquiries` for this filter."""
        found: list[ColumnElement[bool]] = []
        if self.start is not None:
            found.append(Inquiry.created_at >= local_midnight(self.start))
        if self.end is not None:
            found.append(Inquiry.created_at < local_midnight(self.end + dt.timedelta(days=1)))
        for name in ("province", "topic", "channel", "campaign", "outcome"):
            value = getattr(self, name)
            if value is not None:
                found.append(getattr(Inquiry, name) == value)
        if self.answered is not None:
            found.append(Inquiry.answered.is_(self.answered))
        if self.warning is not None:
            found.append(Inquiry.warning.is_(self.warning))
        if self.feedback == "up":
            found.append(Inquiry.feedback > 0)
        elif self.feedback == "down":
            found.append(Inquiry.feedback < 0)
        elif self.feedback == "any":
            found.append(Inquiry.feedback.is_not(None))
        elif self.feedback == "none":
            found.append(Inquiry.feedback.is_(None))
        found += search_conditions(self.q)
        return found


def search_words(q: str | None) -> list[str]:
    """The folded words of a search (accents, case and abbreviations folded away; punctuation dropped)."""
    words = fold_key(q).split() if q else []
    return list(dict.fromkeys(w for w in words if any(c.isalnum() for c in w)))[:MAX_SEARCH_WORDS]


def search_conditions(q: str | None) -> list[ColumnElement[bool]]:
    """Every word of the search begins a word of the question, in any order. (Conditions on the
    bare column, so PostgreSQL estimates them from its statistics and walks the id index.)"""
    column = Inquiry.normalized
    return [
        (column.startswith(word, autoescape=True) | column.contains(" " + word, autoescape=True)).self_group()
        for word in search_words(q)
    ]


FILTER_FIELDS = frozenset(f.name for f in fields(LogFilter))


def is_question() -> ColumnElement[bool]:
    """Typed messages that asked something the plans may answer: not greetings or thanks
    (chitchat), not commands (/start, /nguoi … have their own topics), not button presses."""
    asked = (Inquiry.topic.in_(ENTRY_TOPICS) | (Inquiry.outcome == "fallback")).self_group()
    return and_(Inquiry.message_kind == "text", asked).self_group()


def answered_question() -> ColumnElement[bool]:
    return and_(is_question(), Inquiry.answered.is_(True))


def local_day(column: Any, dialect: str) -> ColumnElement[Any]:
    """The local (UTC+7) calendar day of a stored UTC time ('YYYY-MM-DD' text on SQLite, a date on PostgreSQL)."""
    if dialect == "sqlite":
        return sql.date(column, f"+{LOCAL_OFFSET_HOURS} hours")
    shifted = sql.timezone("UTC", column) + literal_column(f"interval '{LOCAL_OFFSET_HOURS} hours'")
    return cast(shifted, Date)  # str() of the date is 'YYYY-MM-DD'; three times cheaper than to_char
