"""The overview's numbers: counts per value of a dimension, and the overview of a period
assembled from its days' counts (pure: no store)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func

from bot.admin.daycache import Counts, DayRows
from bot.admin.filters import answered_question, is_question
from bot.store.models import Inquiry


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Counts for one value of a dimension (a topic, a channel, a day …)."""

    key: str | None
    inquiries: int = 0
    questions: int = 0
    answered: int = 0
    users: int = 0
    up: int = 0
    down: int = 0

    @property
    def rate(self) -> float | None:
        return 100.0 * self.answered / self.questions if self.questions else None


@dataclass(slots=True)
class Overview:
    days: list[str]
    by_day: dict[str, Breakdown]
    topic_by_day: dict[str, dict[str, int]] = field(default_factory=dict)  # topic → day → questions (is_question)
    warnings_by_day: dict[str, int] = field(default_factory=dict)  # day → messages with a sign of a scam
    by_topic: list[Breakdown] = field(default_factory=list)
    by_channel: list[Breakdown] = field(default_factory=list)
    by_campaign: list[Breakdown] = field(default_factory=list)
    by_province: list[Breakdown] = field(default_factory=list)
    top_entries: list[tuple[str, int]] = field(default_factory=list)
    total: Breakdown = field(default_factory=lambda: Breakdown(key=None))
    handoffs_open: int = 0


def sum_of(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def measures() -> list[Any]:
    return [
        func.count(),
        sum_of(is_question()),
        sum_of(answered_question()),
        func.count(distinct(Inquiry.user_id)),
        sum_of(Inquiry.feedback > 0),
        sum_of(Inquiry.feedback < 0),
    ]


def counts() -> list[Any]:
    """The measures that add up across groups (all but distinct users)."""
    return [
        func.count(),
        sum_of(is_question()),
        sum_of(answered_question()),
        sum_of(Inquiry.feedback > 0),
        sum_of(Inquiry.feedback < 0),
    ]


def sums(rows: Iterable[tuple[Any, Sequence[int]]]) -> dict[Any, list[int]]:
    """Add up `counts()` rows (ints, _ints) per key; a year of days in a few milliseconds."""
    sums: dict[Any, list[int]] = {}
    for key, (n, q, a, up, down) in rows:
        acc = sums.get(key)
        if acc is None:
            sums[key] = [n, q, a, up, down]
        else:
            acc[0] += n
            acc[1] += q
            acc[2] += a
            acc[3] += up
            acc[4] += down
    return sums


def fold(rows: Iterable[tuple[Any, Sequence[int]]]) -> list[Breakdown]:
    """Add up `counts()` rows per key, most inquiries first."""
    found = [
        Breakdown(key=None if k is None else str(k), inquiries=n, questions=q, answered=a, up=up, down=down)
        for k, (n, q, a, up, down) in sums(rows).items()
    ]
    return sorted(found, key=lambda b: (-b.inquiries, b.key or ""))


def ints(values: Sequence[Any]) -> Counts:
    n, q, a, up, down = (int(v or 0) for v in values)
    return (n, q, a, up, down)


def assemble(days: list[str], found: dict[str, DayRows], users: int, handoffs_open: int) -> Overview:
    """The overview of a period from its days' rows."""
    topic_by_day: dict[str, dict[str, int]] = {}
    per_day: list[tuple[Any, Counts]] = []
    per_topic: list[tuple[Any, Counts]] = []
    places: list[tuple[Any, Counts]] = []  # ((channel, province, campaign), counts), each day's
    entries: dict[str, int] = {}
    for d in days:
        rows = found.get(d, DayRows())
        for topic, counts in rows.topics:
            per_day.append((d, counts))
            per_topic.append((topic, counts))
            if counts[1]:
                topic_by_day.setdefault(str(topic), {})[d] = counts[1]
        places += (((channel, province, campaign), counts) for channel, province, campaign, counts in rows.places)
        for entry, n in rows.entries:
            entries[entry] = entries.get(entry, 0) + n
    total = fold((None, c) for _d, c in per_day)
    placed = sums(places).items()  # a few dozen places to fold by channel, province, campaign
    return Overview(
        days=days,
        by_day={b.key or "": b for b in fold(per_day)},
        topic_by_day=topic_by_day,
        by_topic=fold(per_topic),
        by_channel=fold((p[0], c) for p, c in placed),
        by_province=fold((p[1], c) for p, c in placed),
        by_campaign=fold((p[2], c) for p, c in placed),
        top_entries=sorted(entries.items(), key=lambda kv: (-kv[1], kv[0]))[:10],
        total=replace(total[0], users=users) if total else Breakdown(key=None),
        handoffs_open=handoffs_open,
        warnings_by_day={d: found[d].warnings for d in days if d in found and found[d].warnings},
    )


def breakdown_of(key: Any, values: Sequence[Any]) -> Breakdown:
    n, q, a, u, up, down = (int(v or 0) for v in values)
    return Breakdown(
        key=None if key is None else str(key), inquiries=n, questions=q, answered=a, users=u, up=up, down=down
    )
