"""The Rasa SDK actions: thin adapters around the Responder the bot runs in-process.

Run by the action server in the Rasa venv:

    .rasa-venv/bin/python -m rasa_sdk --actions actions.rasa_actions

Each action builds the State from the slots and the Understanding from the tracker's
latest message, hands them to `actions.respond.Responder` (the same code the bot runs
with either engine), sends the reply (text, buttons, and a JSON message with the kind,
entry, confidence and sources) and sets the slots to the new State. The names tell the
rules in nlu/data/rules.yml apart; what the bot does is decided by the Responder, from the
conversation state, exactly as in the bot. Only this module imports rasa_sdk.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from functools import lru_cache
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.rasa_bridge import run
from actions.respond import Responder
from actions.types import Policy
from knowledge.model import load_knowledge

log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def responder() -> Responder:
    """The knowledge base and policy, loaded on the first action run (not at import)."""
    return Responder(load_knowledge(), Policy.load())


class ResponderAction(Action, ABC):
    """Hand the turn to the Responder; send its reply; keep its state in the slots."""

    @abstractmethod
    def name(self) -> str: ...

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        step = run(responder(), tracker.current_slot_values(), tracker.latest_message or {})
        for message in step.messages:
            dispatcher.utter_message(**message)
        if step.outcome.handoff_question:
            log.info("handoff requested by %s: %s", tracker.sender_id, step.outcome.kind)
        return [SlotSet(name, value) for name, value in step.slots.items()]


class ActionAnswer(ResponderAction):
    """Answer from the knowledge base with its source and follow-ups (or clarify, or ask the province)."""

    def name(self) -> str:
        return "action_answer"


class ActionChitchat(ResponderAction):
    """Greet, thank, say goodbye; "có"/"không" after an offer to hand over the question."""

    def name(self) -> str:
        return "action_chitchat"


class ActionHandoff(ResponderAction):
    """Pass the question to an official (or ask which question, when there is none yet)."""

    def name(self) -> str:
        return "action_handoff"


class ActionFallback(ResponderAction):
    """Say plainly that the plans do not say, list what the topic holds, offer an official."""

    def name(self) -> str:
        return "action_fallback"


class ActionChoose(ResponderAction):
    """A button: the entry picked after a clarification, a province, feedback, handoff yes/no."""

    def name(self) -> str:
        return "action_choose"
