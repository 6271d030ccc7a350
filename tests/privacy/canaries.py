"""The same personal numbers for every privacy test, and a scan that finds any of them in clear."""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from bot.store.store import Store

PHONE = "0912 345 678"
CCCD = "0790 9000 1234"
PASSPORT = "C 1234567"
EMAIL = "nguyen.van.a@gmail.com"
ACCOUNT = "19033456789012"
CARD = "4111 1111 1111 1111"
# Messages carrying them, one per path a worker's text takes.
QUESTION = f"toi muon di xkld han quoc, sdt {PHONE}, cccd {CCCD}, mail {EMAIL}"
HANDOFF = f"/nguoi em can gap can bo, goi em {PHONE} hoac stk {ACCOUNT}"
COMPANY = f"cong ty Hoang Long {PHONE} co giay phep dua nguoi di nhat khong"
SCAM = f"mot anh moi gioi bao nop 50 trieu vao stk {ACCOUNT} the {CARD} la bay sang han, ho chieu {PASSPORT}"
OUT_OF_SCOPE = f"gia vang hom nay the nao, so em {PHONE}"

_NUMBERS = {"phone": PHONE, "cccd": CCCD, "passport": PASSPORT, "account": ACCOUNT, "card": CARD}
# Each number's digits after the first, whatever is typed between them; the address in any form.
_PATTERNS = {
    name: re.compile(r"[ .\-()]{0,2}".join(re.sub(r"\D", "", value)[1:])) for name, value in _NUMBERS.items()
} | {
    "email name": re.compile(r"nguyen[ ._]?van[ ._]?a\b", re.IGNORECASE),
    "email domain": re.compile(r"gmail", re.IGNORECASE),
}


def in_clear(value: str) -> list[str]:
    """The canaries `value` holds in clear (empty: none)."""
    return [name for name, pattern in _PATTERNS.items() if pattern.search(value)]


def leaks(values: Iterable[tuple[str, str]]) -> list[str]:
    """(where, value) pairs → "where: canary" for each canary found."""
    return [f"{where}: {found}" for where, value in values for found in in_clear(value)]


async def every_text_in(store: Store) -> list[tuple[str, str]]:
    """Every non-null value of every column of every table, as text, with table.column."""
    async with store.engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        out: list[tuple[str, str]] = []
        for table in tables:
            if table == "alembic_version":
                continue
            result = await conn.execute(text(f'SELECT * FROM "{table}"'))  # names from the schema itself
            for row in result.mappings():
                out += [(f"{table}.{k}", str(v)) for k, v in row.items() if v is not None]
        return out


def every_file_in(directory: Path) -> list[tuple[str, str]]:
    return [(str(p), p.read_text("utf-8", errors="replace")) for p in directory.rglob("*") if p.is_file()]


def log_lines(records: Iterable[Any]) -> list[tuple[str, str]]:
    """Captured log records, message and traceback."""
    out = []
    for r in records:
        out.append((f"log {r.name}", r.getMessage()))
        if r.exc_info:
            out.append((f"log {r.name} traceback", "".join(traceback.format_exception(*r.exc_info))))
    return out
