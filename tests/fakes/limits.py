"""The platforms' limits on what a bot sends, as the fakes enforce them (design.md §5).

Telegram: 1–4096 characters of text after its HTML is parsed, counted in UTF-16 code units;
only its few tags, closed in order; callback data of 1–64 bytes. Zalo: 1–2000 characters of
plain text. A fake refuses what the platform would, with the platform's kind of error, so a
test fails where production would.
"""

from __future__ import annotations

import re
from typing import Any

TELEGRAM_TEXT_LIMIT = 4096
CALLBACK_DATA_LIMIT = 64
ZALO_TEXT_LIMIT = 2000
# The tags Telegram's HTML mode knows (https://core.telegram.org/bots/api#html-style).
TELEGRAM_TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a", "code", "pre"}
    | {"blockquote", "tg-emoji"}
)
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]{1,7}|#x[0-9a-fA-F]{1,6});")
_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_NAME = re.compile(r"/?([A-Za-z][A-Za-z0-9-]*)")


class ParseError(ValueError):
    """What Telegram says after "Bad Request: can't parse entities: "."""


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _entity(text: str, at: int) -> tuple[str, int]:
    """The character an entity at `at` stands for and where it ends; a lone "&" stays itself."""
    found = _ENTITY.match(text, at)
    if found is None:
        return "&", at + 1
    name = found.group(1)
    if name.startswith("#x"):
        return chr(int(name[2:], 16)), found.end()
    if name.startswith("#"):
        return chr(int(name[1:])), found.end()
    return _ENTITIES[name], found.end()


def telegram_visible_text(html: str) -> str:
    """The text Telegram shows for an HTML-mode message; ParseError where Telegram refuses it."""
    shown: list[str] = []
    open_tags: list[str] = []
    i = 0
    while i < len(html):
        char = html[i]
        if char == "&":
            decoded, i = _entity(html, i)
            shown.append(decoded)
            continue
        if char != "<":
            shown.append(char)
            i += 1
            continue
        end = html.find(">", i)
        name = _TAG_NAME.match(html, i + 1)
        if end < 0 or name is None:
            raise ParseError(f"Unsupported start tag at byte offset {len(html[:i].encode())}")
        tag = name.group(1).lower()
        if html[i + 1] == "/":
            if not open_tags or open_tags[-1] != tag:
                raise ParseError(f'Unmatched end tag at byte offset {len(html[:i].encode())}, found "</{tag}>"')
            open_tags.pop()
        elif tag not in TELEGRAM_TAGS:
            raise ParseError(f'Unsupported start tag "{tag}" at byte offset {len(html[:i].encode())}')
        else:
            open_tags.append(tag)
        i = end + 1
    if open_tags:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{open_tags[-1]}"')
    return "".join(shown)


def telegram_refusal(params: dict[str, Any]) -> str | None:
    """Why Telegram answers 400 to this sendMessage ("Bad Request: …"), or None if it takes it."""
    text = str(params.get("text", ""))
    if str(params.get("parse_mode", "")).upper() == "HTML":
        try:
            text = telegram_visible_text(text)
        except ParseError as exc:
            return f"Bad Request: can't parse entities: {exc}"
    if not text.strip():
        return "Bad Request: message text is empty"
    if utf16_length(text.strip()) > TELEGRAM_TEXT_LIMIT:
        return "Bad Request: message is too long"
    markup = params.get("reply_markup") or {}
    for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
        for button in row:
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= CALLBACK_DATA_LIMIT:
                return "Bad Request: BUTTON_DATA_INVALID"
            if not str(button.get("text", "")).strip():
                return "Bad Request: text buttons are unallowed in the inline keyboard"
    return None


def zalo_refusal(params: dict[str, Any]) -> str | None:
    """Why Zalo refuses this sendMessage, or None if it takes it."""
    text = params.get("text")
    if not isinstance(text, str) or not text.strip():
        return "text is required"
    if len(text) > ZALO_TEXT_LIMIT:
        return f"text must be at most {ZALO_TEXT_LIMIT} characters"
    return None
