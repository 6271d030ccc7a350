"""Rasa's parse result (`POST /model/parse`, or a tracker's `latest_message`) as an Understanding.

Rasa ranks the intents (DIET) and, within the retrieval intent `faq`, the entries
(ResponseSelector). The probability of entry e is P(faq) × P(e | faq); every other intent
keeps its own probability. The topic is the topic with most probability mass, as in the
embedded engine, so the actions apply the same thresholds to both engines.

Pure: used by the bot (nlu/rasa_client.py) and by the action server (actions/rasa_bridge.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from knowledge.model import KnowledgeBase
from nlu.training import label_topic
from nlu.types import FAQ_PREFIX, Candidate, Understanding

RETRIEVAL_INTENT = FAQ_PREFIX.rstrip("/")


def label_scores(parse: Mapping[str, Any], kb: KnowledgeBase) -> dict[str, float]:
    """Label (intent, or faq/<entry id>) → probability."""
    ranking = parse.get("intent_ranking") or ([parse["intent"]] if parse.get("intent") else [])
    scores: dict[str, float] = {}
    faq = 0.0
    for item in ranking:
        name, confidence = item.get("name"), float(item.get("confidence") or 0.0)
        if not name:
            continue
        if name == RETRIEVAL_INTENT:
            faq = confidence
        else:
            scores[str(name)] = confidence
    selector = (parse.get("response_selector") or {}).get(RETRIEVAL_INTENT) or {}
    entries = selector.get("ranking") or []
    if not entries and selector.get("response", {}).get("intent_response_key"):
        response = selector["response"]
        entries = [{"intent_response_key": response["intent_response_key"], "confidence": response["confidence"]}]
    for item in entries:
        key = str(item.get("intent_response_key") or "")
        entry = key[len(FAQ_PREFIX) :] if key.startswith(FAQ_PREFIX) else ""
        if entry in kb.entries:
            scores[FAQ_PREFIX + entry] = faq * float(item.get("confidence") or 0.0)
    return scores


def understanding_from_parse(
    parse: Mapping[str, Any], kb: KnowledgeBase, ranking_size: int = 5, engine: str = "rasa"
) -> Understanding:
    """The Understanding the actions consume, from Rasa's parse data."""
    scores = label_scores(parse, kb)
    if not scores:
        return Understanding(
            intent="out_of_scope", topic="out_of_scope", topic_confidence=0.0, ranking=(), engine=engine
        )
    by_topic: dict[str, float] = defaultdict(float)
    topic_of = {label: label_topic(kb, label) for label in scores}
    for label, p in scores.items():
        by_topic[topic_of[label]] += p
    topic, topic_p = max(by_topic.items(), key=lambda kv: kv[1])
    ordered = sorted(scores.items(), key=lambda kv: -kv[1])[:ranking_size]
    ranking = tuple(Candidate(label=label, topic=topic_of[label], score=p) for label, p in ordered)
    in_topic = [c for c in ranking if c.topic == topic]
    intent = in_topic[0].label if in_topic else ranking[0].label
    return Understanding(intent=intent, topic=topic, topic_confidence=min(1.0, topic_p), ranking=ranking, engine=engine)
