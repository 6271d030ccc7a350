"""Property tests: whatever JSON a platform (or an attacker with the secret) sends, the parsers
either turn it into a well-formed message or decline it — they never crash the webhook."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Bot, Update

from bot.channels.telegram import incoming_message
from bot.channels.zalo import incoming_event, unwrap
from bot.service import IncomingMessage

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
anything = st.one_of(json_values, st.text(), st.integers(), st.just({}))
ids = st.one_of(st.integers(), st.text(max_size=100), st.none(), st.floats(allow_nan=False), st.lists(st.integers()))


def well_formed(msg: IncomingMessage) -> None:
    assert isinstance(msg.text, str) and isinstance(msg.user_ref, str) and msg.user_ref
    assert msg.external_id is not None and len(msg.external_id) <= 64
    assert msg.kind in {"text", "button", "sticker", "image", "voice", "video", "file", "location", "other"}
    assert msg.payload is None or len(msg.payload) <= 64


@given(body=json_values)
def test_zalo_any_json_is_parsed_or_declined(body: Any) -> None:
    if not isinstance(body, dict):
        return
    parsed = incoming_event(unwrap(body))
    if parsed is not None:
        well_formed(parsed[0])


@given(
    event_name=st.sampled_from(
        [
            "message.text.received",
            "message.image.received",
            "message.sticker.received",
            "message.unsupported.received",
            "user.follow",
            "",
        ]
    ),
    sender=ids,
    chat=ids,
    message_id=ids,
    text=anything,
    chat_type=anything,
    wrapped=st.booleans(),
)
def test_zalo_events_with_odd_field_types(
    event_name: str, sender: Any, chat: Any, message_id: Any, text: Any, chat_type: Any, wrapped: bool
) -> None:
    event = {
        "event_name": event_name,
        "message": {
            "from": {"id": sender},
            "chat": {"id": chat, "chat_type": chat_type},
            "message_id": message_id,
            "text": text,
            "caption": text,
        },
    }
    body = {"ok": True, "result": event} if wrapped else event
    parsed = incoming_event(unwrap(body))
    if parsed is not None:
        well_formed(parsed[0])


BOT = Bot("123456:TEST-TOKEN-not-used-offline")
DECLINED = (KeyError, TypeError, ValueError, AttributeError)  # the webhook answers 400 to these


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=200)
@given(
    update_id=st.integers(min_value=0, max_value=2**40),
    user_id=ids,
    chat_id=ids,
    chat_type=anything,
    text=anything,
    data=anything,
    kind=st.sampled_from(["message", "callback_query", "edited_message", "channel_post", "poll", "junk"]),
)
def test_telegram_updates_with_odd_field_types(
    update_id: int, user_id: Any, chat_id: Any, chat_type: Any, text: Any, data: Any, kind: str
) -> None:
    user = {"id": user_id, "is_bot": False, "first_name": "A"}
    message = {
        "message_id": 1,
        "date": 1700000000,
        "chat": {"id": chat_id, "type": chat_type},
        "from": user,
        "text": text,
    }
    body: dict[str, Any] = {"update_id": update_id}
    if kind == "callback_query":
        body[kind] = {"id": "q", "from": user, "chat_instance": "c", "data": data, "message": message}
    else:
        body[kind] = message
    try:
        update = Update.de_json(body, BOT)
    except DECLINED:
        return
    parsed = incoming_message(update)
    if parsed is not None:
        well_formed(parsed[0])
