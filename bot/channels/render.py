"""Replies as each platform shows them: pure functions over the core's Reply, no I/O.

Telegram gets HTML text (escaped) with an inline keyboard; Zalo has no buttons, so the
options are numbered and the user types the number. Long replies are split on paragraph
boundaries to fit each platform's limit, counted the way the platforms count (UTF-16).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from actions.subscriptions import SUBSCRIBE_PAYLOAD
from actions.types import Option, Reply
from bot.ratings import FEEDBACK_DOWN, FEEDBACK_UP
from knowledge.model import KnowledgeBase

TELEGRAM_TEXT_LIMIT = 4096
ZALO_TEXT_LIMIT = 2000
CALLBACK_DATA_LIMIT = 64  # bytes

_SENTENCE_END = re.compile(r"(?<=[.!?…:;])\s+")


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    data: str


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    """One platform message: text, and for Telegram the keyboard under it (rows of buttons)."""

    text: str
    keyboard: tuple[tuple[Button, ...], ...] = ()


def text_length(text: str) -> int:
    """The length as Telegram and Zalo count it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def _cut(text: str, limit: int) -> tuple[str, str]:
    """The longest head of `text` within `limit`, and the rest (a last resort: no boundary found)."""
    head = text[:limit]
    while text_length(head) > limit:
        head = head[:-1]
    return head, text[len(head) :]


def _pieces(text: str, limit: int) -> list[str]:
    """Break one over-long paragraph at line, sentence, then word boundaries, cutting only if it must."""
    if "\n" in text:
        return _pack(text.split("\n"), limit, "\n")
    for parts in (_SENTENCE_END.split(text), text.split(" ")):
        if len(parts) > 1:
            return _pack(parts, limit, " ")
    head, rest = _cut(text, limit)
    return [head, *_pieces(rest, limit)] if rest else [head]


def _pack(parts: list[str], limit: int, joiner: str) -> list[str]:
    """Join parts greedily into chunks within limit; a part too long on its own is broken further."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        candidate = f"{current}{joiner}{part}" if current else part
        if text_length(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if text_length(part) <= limit:
            current = part
        else:
            *full, current = _pieces(part, limit)
            chunks.extend(full)
    if current:
        chunks.append(current)
    return chunks


def split_text(text: str, limit: int) -> list[str]:
    """Split a reply into messages of at most `limit`, on paragraph boundaries where possible."""
    text = text.strip()
    if not text:
        return []
    if text_length(text) <= limit:
        return [text]
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    return [chunk.strip() for chunk in _pack(paragraphs, limit, "\n\n") if chunk.strip()]


def telegram_html(text: str, source_prefix: str) -> str:
    """Escape text for Telegram's HTML mode; the source line under an answer is set in italics."""
    paragraphs = []
    for paragraph in text.split("\n\n"):
        escaped = html.escape(paragraph, quote=False)
        paragraphs.append(f"<i>{escaped}</i>" if source_prefix and paragraph.startswith(source_prefix) else escaped)
    return "\n\n".join(paragraphs)


def fits_callback(data: str) -> bool:
    return 0 < len(data.encode()) <= CALLBACK_DATA_LIMIT


def buttons(reply: Reply, kb: KnowledgeBase) -> list[Option]:
    """The options shown as buttons: the reply's, then "🔔 Nhận thông báo" where an answer offers it
    (never numbered, so a typed number still picks the same option and "1" still rates)."""
    if not reply.offer_subscribe:
        return list(reply.options)
    return [*reply.options, Option(label=kb.text("subscribe_option"), payload=SUBSCRIBE_PAYLOAD)]


def telegram_messages(reply: Reply, kb: KnowledgeBase) -> list[OutgoingMessage]:
    """The messages for a reply: text split at 4096, options and 👍/👎 as buttons under the last."""
    text = reply.text
    if reply.ask_feedback:
        text = f"{text}\n\n{kb.text('feedback_prompt')}"
    rows: list[tuple[Button, ...]] = [
        (Button(option.label, option.payload),) for option in buttons(reply, kb) if fits_callback(option.payload)
    ]
    if reply.ask_feedback:
        rows.append((Button(kb.text("feedback_yes"), FEEDBACK_UP), Button(kb.text("feedback_no"), FEEDBACK_DOWN)))
    chunks = split_text(text, TELEGRAM_TEXT_LIMIT)
    messages = [OutgoingMessage(chunk) for chunk in chunks[:-1]]
    if chunks:
        messages.append(OutgoingMessage(chunks[-1], tuple(rows)))
    return messages


def zalo_text(reply: Reply, kb: KnowledgeBase) -> str:
    """The reply as one plain text: options numbered, then how to pick one and how to rate the answer."""
    parts = [reply.text]
    if reply.options:
        parts.append("\n".join(f"{i}. {option.label}" for i, option in enumerate(reply.options, start=1)))
        parts.append(kb.text("zalo_pick_hint"))
    if reply.offer_subscribe:
        parts.append(kb.text("zalo_subscribe_hint"))
    if reply.ask_feedback:  # last: the rating is what "0"/"1" typed next means
        hint = kb.text("zalo_feedback_hint" if reply.options else "zalo_feedback_hint_numbers")
        parts.append(f"{kb.text('feedback_prompt')} {hint}")
    return "\n\n".join(parts)


def zalo_messages(reply: Reply, kb: KnowledgeBase) -> list[str]:
    """The Zalo messages for a reply, split at 2000 characters on paragraph boundaries."""
    return split_text(zalo_text(reply, kb), ZALO_TEXT_LIMIT)
