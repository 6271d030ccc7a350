"""Channel-neutral values the actions consume and produce."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from knowledge.yamlfile import read_yaml

POLICY_FILE = Path(__file__).with_name("policy.yaml")


@dataclass(frozen=True, slots=True)
class Option:
    """A follow-up the user can pick: a button, or a number to type on text-only channels."""

    label: str
    payload: str


@dataclass(slots=True)
class Reply:
    text: str
    options: list[Option] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    ask_feedback: bool = False
    offer_subscribe: bool = False  # "🔔 Nhận thông báo" under an answer (a hint on Zalo)


_ATOMS = (str, int, float, bool, type(None))


def _copied(value: Any) -> Any:
    """A deep copy of JSON-like state, as `dataclasses.asdict` makes one (atoms as they are)."""
    if isinstance(value, _ATOMS):
        return value
    if type(value) is dict:
        return {_copied(k): _copied(v) for k, v in value.items()}
    if type(value) is list:
        return [_copied(v) for v in value]
    if type(value) is tuple:
        return tuple(_copied(v) for v in value)
    return copy.deepcopy(value)


@dataclass(slots=True)
class State:
    """What the bot remembers about one user between messages (kept in the store)."""

    province: str | None = None
    pending: dict[str, Any] | None = None
    options: list[str] = field(default_factory=list)
    last_inquiry: int | None = None
    greeted: bool = False
    office_note_given: bool = False  # the 2025 office change was said in this conversation
    last: dict[str, Any] | None = None  # the previous turn's topic, entry and kind (actions/context.py)
    subscribed: bool = False  # announcements asked for here (/dangky) and not stopped (/huy)

    def to_dict(self) -> dict[str, Any]:
        """`dataclasses.asdict`'s dict (nested values copied), without its generic walk."""
        return {
            "province": self.province,
            "pending": _copied(self.pending),
            "options": _copied(self.options),
            "last_inquiry": self.last_inquiry,
            "greeted": self.greeted,
            "office_note_given": self.office_note_given,
            "last": _copied(self.last),
            "subscribed": self.subscribed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> State:
        data = data or {}
        return cls(
            province=data.get("province"),
            pending=data.get("pending"),
            options=list(data.get("options") or []),
            last_inquiry=data.get("last_inquiry"),
            greeted=bool(data.get("greeted", False)),
            office_note_given=bool(data.get("office_note_given", False)),
            last=data.get("last") if isinstance(data.get("last"), dict) else None,
            subscribed=bool(data.get("subscribed", False)),
        )


@dataclass(slots=True)
class Outcome:
    """The reply to one message, and what the inquiry log records about it."""

    reply: Reply
    state: State
    kind: str  # answer, clarify, ask_province, fallback, topic_menu, chitchat, menu, handoff, ...
    topic: str
    intent: str
    entry: str | None = None
    confidence: float = 0.0
    answered: bool = False
    handoff_question: str | None = None
    feedback: int | None = None
    delete_user: bool = False
    warning: bool = False  # the message shows a warning sign of an illegal broker or scam (actions/brokers/)
    enterprise: dict[str, str] | None = None  # the listed enterprise the reply is about
    enterprise_name: str | None = None  # the company the message named (listed name, or as typed)
    urgent: bool = False  # a worker already abroad in trouble; a handoff made of it is urgent
    province: str | None = None  # the province the reply is about: its entry's, else the worker's
    # /dangky or /huy: {"action": "subscribe", "province", "topics"} or {"action": "unsubscribe"},
    # written by the bot once the message is recorded (actions/subscriptions.py, bot/announce/).
    subscription: dict[str, object] | None = None
    ticket: str | None = None  # `/ma [CODE]`: the code asked about ("" for all); the bot looks it up

    def as_json(self) -> dict[str, Any]:
        """The `laodong ask --json` object of design.md §2."""
        return {
            "topic": self.topic,
            "intent": self.intent,
            "entry": self.entry,
            "confidence": round(max(0.0, min(1.0, self.confidence)), 4),
            "answer": self.reply.text,
            "sources": self.reply.sources,
            "options": [o.label for o in self.reply.options],
            "warning": self.warning,
            "enterprise": self.enterprise,
            "urgent": self.urgent,
            "province": self.province,
        }


@dataclass(frozen=True, slots=True)
class Policy:
    """Thresholds the dialogue applies to an engine's confidence (actions/policy.yaml)."""

    topic_threshold: float = 0.45
    answer_threshold: float = 0.3
    clarify_ratio: float = 0.6
    clarify_ceiling: float = 0.55
    other_plan_threshold: float = 0.8
    max_chars: int = 1000
    max_options: int = 3
    topic_menu_size: int = 6

    @classmethod
    def load(cls, path: Path = POLICY_FILE) -> Policy:
        raw = read_yaml(path) or {}
        known = {k: raw[k] for k in cls.__dataclass_fields__ if k in raw}
        return cls(**known)
