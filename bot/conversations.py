"""Lines put to the bot as `laodong ask` does, and conversations judged on what the worker got.

`answer_lines` is the one path of `laodong ask` (each line a new worker) and `ask --conversation`
(the lines one worker's turns); `make bench` runs the labelled conversations through it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actions.types import Outcome
from bot.service import BotService, IncomingMessage
from knowledge.yamlfile import read_yaml

CONVERSATIONS_FILE = Path(__file__).resolve().parents[1] / "tests" / "data" / "conversations.yaml"
EXPECT_KEYS = ("entry", "province", "topic", "warning", "urgent")


async def answer_lines(
    service: BotService, lines: Iterable[str], province: str | None = None, conversation: bool = False
) -> AsyncIterator[Outcome]:
    """Answer each line as a new worker, or (`conversation`) as one worker's turns in order.

    `province` is the worker's province chosen beforehand (`--province`): every worker's, or the
    one worker's at the start of the conversation (what the worker says later may change it).
    """
    user = f"ask-{uuid.uuid4().hex}"
    first = True
    for line in lines:
        if not conversation:
            user = f"ask-{uuid.uuid4().hex}"  # nothing a previous line said carries over
        chosen = province if first or not conversation else None
        handled = await service.handle(IncomingMessage(channel="cli", user_ref=user, text=line, province=chosen))
        first = False
        yield handled.outcome


@dataclass(frozen=True, slots=True)
class ConversationTurn:
    q: str
    followup: bool
    expect: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Conversation:
    id: str
    turns: tuple[ConversationTurn, ...]


def load_conversations(path: Path = CONVERSATIONS_FILE) -> list[Conversation]:
    """Conversations in the format of tests/data/conversations.yaml."""
    out = []
    for raw in read_yaml(path) or []:
        turns = tuple(
            ConversationTurn(q=str(t["q"]), followup=bool(t.get("followup", False)), expect=dict(t.get("expect") or {}))
            for t in raw.get("turns") or []
        )
        out.append(Conversation(id=str(raw["id"]), turns=turns))
    return out


def misses(expect: Mapping[str, Any], got: Mapping[str, Any]) -> list[str]:
    """The expected keys a reply (`ask --json` object) does not meet; a list of values means any of them."""
    wrong = []
    for key in EXPECT_KEYS:
        if key not in expect:
            continue
        wanted = expect[key]
        allowed = list(wanted) if isinstance(wanted, list) else [wanted]
        value = got.get(key, False if key in ("warning", "urgent") else None)
        if value not in allowed:
            wrong.append(f"{key}={value!r} (expected {wanted!r})")
    return wrong


@dataclass(slots=True)
class ConversationReport:
    judged: list[tuple[str, ConversationTurn, list[str]]] = field(default_factory=list)  # (id, turn, misses)

    def _rate(self, followup: bool) -> float:
        turns = [wrong for _, t, wrong in self.judged if t.followup == followup and t.expect]
        return sum(not w for w in turns) / len(turns) if turns else float("nan")

    def metrics(self) -> dict[str, Any]:
        return {
            "conversations": len({cid for cid, _, _ in self.judged}),
            "followup_turns": sum(1 for _, t, _ in self.judged if t.followup and t.expect),
            "followup_resolution": self._rate(True),
            "other_turns_ok": self._rate(False),
        }

    def failures(self) -> list[tuple[str, ConversationTurn, list[str]]]:
        return [item for item in self.judged if item[2]]


async def judge_conversations(service: BotService, conversations: Iterable[Conversation]) -> ConversationReport:
    """Put each conversation to the bot as one new worker's turns, and judge every turn it labels."""
    report = ConversationReport()
    for conversation in conversations:
        outcomes = answer_lines(service, [t.q for t in conversation.turns], conversation=True)
        turns = iter(conversation.turns)
        async for outcome in outcomes:
            turn = next(turns)
            report.judged.append((conversation.id, turn, misses(turn.expect, outcome.as_json())))
    return report
