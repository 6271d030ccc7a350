"""The cue patterns' regular expressions, compiled once and kept in a file beside the models.

Python compiles a regular expression in Python code (parse, then code generation): the ~200 cue
patterns of brokers.yaml took ~60 ms of every start-up. What compiling produces (the engine's
code words, flags and groups) is kept, keyed by the pattern and by the Python build and its
regular-expression engine; a start-up that finds it hands it straight to the engine
(`_sre.compile`), as `re.compile` itself does last. The result is the very pattern `re.compile`
makes: patterns compare equal when their text, flags and code are (tests/test_regexcache.py).

A missing, stale or damaged file is no error: the patterns are compiled as usual and the file
written again (or not, where the directory is read-only).
"""

from __future__ import annotations

import _sre
import logging
import marshal
import os
import re
import sys
import tempfile
import zlib
from pathlib import Path
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any

log = logging.getLogger(__name__)

MAGIC = b"laodong-re 1\n"
# What the kept code depends on besides the pattern: the interpreter build and its regex engine.
ENGINE = f"{sys.version} {_sre.MAGIC} {_sre.CODESIZE} {sys.byteorder}"

Parts = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]


def compiled_parts(pattern: str) -> Parts:
    """What `re.compile(pattern)` hands the engine: flags, code, groups, group names both ways."""
    parsed = _parser.parse(pattern, 0)
    code = [int(word) for word in _compiler._code(parsed, 0)]
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in parsed.state.groupdict.items():
        indexgroup[index] = name
    return int(parsed.state.flags), code, parsed.state.groups - 1, dict(parsed.state.groupdict), tuple(indexgroup)


class PatternCache:
    """Compiles patterns, from the kept code when `path` holds it; `save` keeps what this run compiled."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.kept: dict[str, Parts] = _read(path) if path is not None else {}
        self.used: dict[str, Parts] = {}
        self.compiled_here = 0

    def compile(self, pattern: str) -> re.Pattern[str]:
        parts = self.kept.get(pattern) or self.used.get(pattern)
        if parts is not None:
            try:
                found: re.Pattern[str] = _sre.compile(pattern, *parts)
                self.used[pattern] = parts
                return found
            except (TypeError, ValueError, RuntimeError, OverflowError):  # not code this engine takes
                log.warning("kept regular expression code unusable: compiling %r", pattern[:60])
        self.compiled_here += 1
        if self.path is not None:
            self.used[pattern] = compiled_parts(pattern)
        return re.compile(pattern)

    def save(self) -> None:
        """Keep the code of every pattern used (when some were compiled here and there is a file)."""
        if self.path is None or not self.compiled_here:
            return
        payload = marshal.dumps({"engine": ENGINE, "patterns": self.used})
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, partial = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
            with os.fdopen(fd, "wb") as out:
                out.write(MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload)
            os.chmod(partial, 0o644)
            os.replace(partial, self.path)
        except OSError as exc:
            log.warning("cannot keep compiled patterns in %s (%s)", self.path, exc)


def _read(path: Path) -> dict[str, Parts]:
    try:
        data = path.read_bytes()
    except OSError:
        return {}
    body = data[len(MAGIC) + 4 :]
    if not data.startswith(MAGIC) or zlib.crc32(body) != int.from_bytes(data[len(MAGIC) : len(MAGIC) + 4], "little"):
        return {}
    try:
        kept: Any = marshal.loads(body)
    except (EOFError, ValueError, TypeError):
        return {}
    if not isinstance(kept, dict) or kept.get("engine") != ENGINE or not isinstance(kept.get("patterns"), dict):
        return {}
    return {p: parts for p, parts in kept["patterns"].items() if isinstance(p, str) and _well_formed(parts)}


def _well_formed(parts: Any) -> bool:
    return (
        isinstance(parts, tuple)
        and len(parts) == 5
        and isinstance(parts[0], int)
        and isinstance(parts[1], list)
        and isinstance(parts[2], int)
        and isinstance(parts[3], dict)
        and isinstance(parts[4], tuple)
    )
