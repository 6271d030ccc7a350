"""Training data for both engines: knowledge/ examples plus nlu/data/ (Rasa YAML)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from knowledge.model import KnowledgeBase
from knowledge.yamlfile import read_yaml
from nlu.types import FAQ_PREFIX

NLU_DATA_DIR = Path(__file__).resolve().parent / "data"
GAZETTEER_FILE = Path(__file__).resolve().parents[1] / "knowledge" / "gazetteer.yaml"
# How a worker names a place beside a question (the place words of knowledge/gazetteer.yaml).
PLACED = ("em ở {place}, {q}", "{q}, tui ở {place}", "nhà cháu ở {place}, {q}")

# Intents kept in nlu/data/ (not knowledge entries) and the topic label each belongs to.
INTENT_TOPICS = {
    "greet": "chitchat",
    "anyone_there": "chitchat",  # "có ai ở đó không": a greeting that says what the bot can do
    "bot_identity": "chitchat",  # "bạn là người thật hay máy": an automatic assistant; an official offered
    "thanks": "chitchat",
    "goodbye": "chitchat",
    "affirm": "chitchat",
    "deny": "chitchat",
    "menu": "chitchat",
    "human": "human",
    "out_of_scope": "out_of_scope",
    # On a topic, but asking what no plan says (salaries, fees, a company's phone number …):
    # the bot names the topic, says it does not know, and offers an official.
    "other_work_abroad": "work_abroad",
    "other_pre_departure": "pre_departure",
    "other_vocational": "vocational",
    "other_employment": "employment",
    "other_social_assistance": "social_assistance",
}
UNANSWERABLE_PREFIX = "other_"

_EXAMPLE_LINE = re.compile(r"^\s*-\s?(.*)$")
_ANNOTATION = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[([^\]]+)\]\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: str  # an intent name, or faq/<entry id>


def parse_rasa_examples(block: str) -> list[str]:
    """The example lines of a Rasa `examples: |` block, entity annotations removed."""
    out = []
    for line in block.splitlines():
        m = _EXAMPLE_LINE.match(line)
        if m and m.group(1).strip():
            text = _ANNOTATION.sub(lambda a: a.group(1) or a.group(2), m.group(1))
            out.append(text.strip())
    return out


def load_rasa_nlu(directory: Path = NLU_DATA_DIR) -> list[Example]:
    """Examples from every Rasa NLU YAML file in a folder (intents only)."""
    examples: list[Example] = []
    for path in sorted(directory.glob("*.yml")):
        data = read_yaml(path) or {}
        for item in data.get("nlu") or []:
            intent = item.get("intent")
            if not intent:
                continue
            for text in parse_rasa_examples(str(item.get("examples") or "")):
                examples.append(Example(text=text, label=str(intent)))
    return examples


def plan_places(path: Path = GAZETTEER_FILE) -> list[str]:
    """The towns and districts of the plans' provinces, the two provinces interleaved."""
    provinces = (read_yaml(path) or {}).get("provinces") or {}
    lists = [[str(p) for kind in ("city", "district") for p in spec.get(kind) or ()] for spec in provinces.values()]
    return [place for group in zip(*(names for names in lists if names), strict=False) for place in group]


def training_examples(kb: KnowledgeBase, directory: Path = NLU_DATA_DIR) -> list[Example]:
    """All labelled examples: every entry's title and examples, then nlu/data intents.

    A national entry's examples come once more with a worker's place before them ("em ở Tân Hiệp, …"),
    the places of both plans in turn: a place named says which province, never which subject, so
    it must not pull a question towards a provincial entry whose examples happen to name places.
    """
    places = plan_places()
    examples = []
    for entry in kb.entries.values():
        label = FAQ_PREFIX + entry.id
        examples.append(Example(text=entry.title, label=label))
        examples.extend(Example(text=q, label=label) for q in entry.examples)
        if entry.scope == "national" and places:
            examples.extend(
                Example(
                    text=PLACED[i % len(PLACED)].format(place=places[(len(examples) + i) % len(places)], q=q),
                    label=label,
                )
                for i, q in enumerate(entry.examples)
                if i % 2 == 0
            )
    examples.extend(load_rasa_nlu(directory))
    return examples


def label_topic(kb: KnowledgeBase, label: str) -> str:
    """The topic label a training label belongs to."""
    if label.startswith(FAQ_PREFIX):
        return kb.entries[label[len(FAQ_PREFIX) :]].topic
    return INTENT_TOPICS.get(label, "out_of_scope")
