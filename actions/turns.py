"""One incoming message as the actions read it: its kind, text and normalised views, and the
command or keyword it gives (Zalo and the web chat have no commands, so keywords stand in)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from nlu.normalize import Normalized

NON_TEXT_KINDS = ("sticker", "image", "voice", "video", "file", "location", "other")
_COMMANDS = {
    "start": "start",
    "help": "menu",
    "menu": "menu",
    "tinh": "province",
    "nguoi": "human",
    "canbo": "human",
    "xoa": "delete",
    "dangky": "subscribe",
    "huy": "unsubscribe",
    "ma": "ticket",
}
_KEYWORDS = {"menu": "menu", "tinh": "province", "nguoi": "human", "xoa": "delete", "huong dan": "menu"}
_KEYWORDS |= {k: "subscribe" for k in ("dangky", "dang ky", "dang ky nhan thong bao", "nhan thong bao")}
_KEYWORDS |= {k: "unsubscribe" for k in ("huy", "huy dang ky", "ngung nhan thong bao", "dung nhan thong bao")}
# "ma K7M2QX" / "mã: k7m-2qx" typed without the slash (the folded view has spaces for the
# punctuation): a ticket code holds a digit (bot/tickets.py).
_TICKET = re.compile(r"ma ?([a-z0-9]{3}) ?([a-z0-9]{3})")


@dataclass(frozen=True, slots=True)
class Turn:
    """One incoming message as the actions see it."""

    kind: str  # text, button, or one of NON_TEXT_KINDS
    text: str
    norm: Normalized
    payload: str | None = None


def command_of(turn: Turn) -> tuple[str, str] | None:
    """(command, argument) for `/cmd arg` or a bare keyword (Zalo and web have no commands)."""
    raw = turn.text.strip()
    if raw.startswith("/"):
        name, _, arg = raw[1:].partition(" ")
        name = name.split("@", 1)[0].lower()
        if name in _COMMANDS:
            return _COMMANDS[name], arg.strip()
        return None
    ticket = _TICKET.fullmatch(turn.norm.folded.strip())
    if ticket and any(c.isdigit() for c in ticket.group(1) + ticket.group(2)):
        return "ticket", ticket.group(1) + ticket.group(2)
    keyword = _KEYWORDS.get(turn.norm.folded.strip())
    return (keyword, "") if keyword else None
