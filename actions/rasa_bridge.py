"""Between Rasa's tracker and the Responder: slots ↔ State, latest message → Turn, Outcome → messages.

Pure functions over plain dicts (no rasa_sdk), so the bot's tests cover them and the action
server (actions/rasa_actions.py) stays a thin adapter around the same Responder the bot runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from actions.respond import Responder
from actions.turns import Turn
from actions.types import Outcome, State
from knowledge.model import KnowledgeBase
from nlu.normalize import clean, normalize
from nlu.rasa_parse import understanding_from_parse
from nlu.types import Understanding

CHOOSE_INTENT = "choose"
OPTION_ENTITY = "option"
# Slots that hold actions.types.State (nlu/domain.yml), and two the tracker keeps for officials.
STATE_SLOTS = ("province", "pending", "options", "greeted", "last_inquiry", "office_note_given", "last", "subscribed")
HANDOFF_SLOT = "handoff_question"
FEEDBACK_SLOT = "feedback"


def button_payload(payload: str) -> str:
    """The message a Rasa client sends back for a button: `/choose{"option": "<payload>"}`."""
    return "/" + CHOOSE_INTENT + json.dumps({OPTION_ENTITY: payload}, ensure_ascii=False)


def state_from_slots(slots: Mapping[str, Any]) -> State:
    last = slots.get("last_inquiry")
    return State.from_dict(
        {
            "province": slots.get("province"),
            "pending": slots.get("pending") if isinstance(slots.get("pending"), dict) else None,
            "options": [str(o) for o in slots.get("options") or []],
            "last_inquiry": int(last) if isinstance(last, int | float) else None,
            "greeted": bool(slots.get("greeted")),
            "office_note_given": bool(slots.get("office_note_given")),
            "last": slots.get("last") if isinstance(slots.get("last"), dict) else None,
            "subscribed": bool(slots.get("subscribed")),
        }
    )


def chosen_option(message: Mapping[str, Any]) -> str | None:
    """The payload of a button press (intent `choose` with an `option` entity)."""
    if (message.get("intent") or {}).get("name") != CHOOSE_INTENT:
        return None
    for entity in message.get("entities") or []:
        if entity.get("entity") == OPTION_ENTITY and entity.get("value"):
            return str(entity["value"])
    return None


def turn_from_message(message: Mapping[str, Any], kb: KnowledgeBase, max_chars: int) -> Turn:
    """The worker's message as the actions see it (a button press carries its payload)."""
    option = chosen_option(message)
    if option is not None:
        kind, _, value = option.partition(":")
        label = kb.entries[value].title if kind == "e" and value in kb.entries else ""
        return Turn(kind="button", text=label, norm=normalize(label), payload=option)
    text = clean(str(message.get("text") or ""))
    return Turn(kind="text", text=text, norm=normalize(text[: max_chars * 2]))


def understanding_of(message: Mapping[str, Any], kb: KnowledgeBase) -> Understanding | None:
    if chosen_option(message) is not None or not (message.get("intent") or message.get("intent_ranking")):
        return None
    return understanding_from_parse(message, kb)


@dataclass(frozen=True, slots=True)
class Step:
    """What one action run produces: the messages to send and the slots to set."""

    outcome: Outcome
    messages: list[dict[str, Any]]
    slots: dict[str, Any]


def messages_for(outcome: Outcome, kb: KnowledgeBase) -> list[dict[str, Any]]:
    """Keyword arguments of `dispatcher.utter_message` for the reply (text, buttons, json)."""
    reply = outcome.reply
    buttons = [{"title": o.label, "payload": button_payload(o.payload)} for o in reply.options]
    if reply.ask_feedback:
        buttons += [
            {"title": "👍", "payload": button_payload("f:1")},
            {"title": "👎", "payload": button_payload("f:0")},
        ]
    custom = {
        "kind": outcome.kind,
        "topic": outcome.topic,
        "intent": outcome.intent,
        "entry": outcome.entry,
        "confidence": round(max(0.0, min(1.0, outcome.confidence)), 4),
        "sources": reply.sources,
        "options": [{"label": o.label, "payload": o.payload} for o in reply.options],
        "feedback": kb.text("feedback_prompt") if reply.ask_feedback else None,
    }
    return [{"text": reply.text, "buttons": buttons}, {"json_message": custom}]


def slots_for(outcome: Outcome, previous: State) -> dict[str, Any]:
    """The slots to set after the reply: the new State, and what officials need to see."""
    state = outcome.state
    if outcome.reply.ask_feedback:  # the answer feedback will refer to
        state.last_inquiry = (previous.last_inquiry or 0) + 1
    slots: dict[str, Any] = {name: getattr(state, name) for name in STATE_SLOTS}
    if outcome.handoff_question:
        slots[HANDOFF_SLOT] = outcome.handoff_question
    if outcome.feedback is not None:
        slots[FEEDBACK_SLOT] = float(outcome.feedback)
    return slots


def run(responder: Responder, slots: Mapping[str, Any], message: Mapping[str, Any]) -> Step:
    """One turn of Rasa's dialogue, decided by the same Responder the bot runs."""
    state = state_from_slots(slots)
    turn = turn_from_message(message, responder.kb, responder.policy.max_chars)
    outcome = responder.respond(state, turn, understanding_of(message, responder.kb))
    return Step(outcome=outcome, messages=messages_for(outcome, responder.kb), slots=slots_for(outcome, state))
