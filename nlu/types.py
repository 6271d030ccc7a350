"""What an NLU engine hands the actions, with no model code behind it.

Kept free of scikit-learn and aiohttp so that the Rasa action server (its own Python 3.10
venv) can import the actions without the embedded engine's dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

FAQ_PREFIX = "faq/"


@dataclass(frozen=True, slots=True)
class Candidate:
    label: str
    topic: str
    score: float

    @property
    def entry(self) -> str | None:
        return self.label[len(FAQ_PREFIX) :] if self.label.startswith(FAQ_PREFIX) else None


@dataclass(frozen=True, slots=True)
class Understanding:
    """What an engine made of one message."""

    intent: str
    topic: str
    topic_confidence: float
    ranking: tuple[Candidate, ...]
    engine: str = "embedded"

    @property
    def best(self) -> Candidate | None:
        return self.ranking[0] if self.ranking else None

    @property
    def runner_up(self) -> Candidate | None:
        return self.ranking[1] if len(self.ranking) > 1 else None

    def entries(self) -> list[Candidate]:
        return [c for c in self.ranking if c.entry is not None]


class NluEngine(Protocol):
    name: str

    async def parse(self, text: str) -> Understanding: ...
