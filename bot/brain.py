"""One generation of what answers: knowledge, engine and responder, and the next one a reload builds.

A reload (BotService.reload) swaps in a whole new generation at once; a message being handled
finishes with the one it started with.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from actions.respond import Responder
from actions.situations import SituationDetector
from knowledge.model import KnowledgeBase
from nlu.engine import EmbeddedEngine, NluEngine


@dataclass(frozen=True, slots=True)
class Brain:
    """One generation of knowledge, engine and responder; a reload swaps in a whole new one."""

    kb: KnowledgeBase
    engine: NluEngine
    responder: Responder


def next_brain(
    current: Brain,
    kb: KnowledgeBase,
    engine_factory: Callable[[KnowledgeBase], NluEngine] | None = None,
    detector_factory: Callable[[KnowledgeBase], SituationDetector] | None = None,
) -> Brain:
    """The generation for `kb`: the engine and detector kept when nothing they learn from changed,
    else loaded or trained (`engine_factory`, `detector_factory`; None: an embedded engine retrained,
    no detector); the rules the composition root loaded stay."""
    # An answer edited, nothing the models learn from changed: the embedded engine and the
    # detector stay as they are (no model file read again).
    same = _learned_from(kb) == _learned_from(current.kb)
    if same and isinstance(current.engine, EmbeddedEngine):
        engine: NluEngine = current.engine
    elif engine_factory is not None:
        engine = engine_factory(kb)
    elif isinstance(current.engine, EmbeddedEngine):
        engine = EmbeddedEngine.train(kb)
    else:  # an outside engine (Rasa) is retrained by its own pipeline
        engine = current.engine
    old = current.responder
    if same and old.brokers.detector is not None:
        detector: SituationDetector | None = old.brokers.detector
    else:
        detector = detector_factory(kb) if detector_factory is not None else None
    responder = Responder(kb, old.policy, brokers=old.brokers.rules, detector=detector, context=old.context)
    return Brain(kb, engine, responder)


def _learned_from(kb: KnowledgeBase) -> tuple[tuple[object, ...], ...]:
    """What the engine and the situation detector are trained on: each entry's id, topic, title, examples."""
    return tuple((e.id, e.topic, e.title, e.examples) for e in kb.entries.values())
