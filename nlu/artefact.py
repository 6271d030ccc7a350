"""A trained linear n-gram classifier as plain data: scored in pure Python, stored as one small file.

Training (nlu/fit.py, scikit-learn) happens once; serving loads the file with the standard
library alone, so a worker process never imports scikit-learn, SciPy or NumPy.

The model is what scikit-learn's `TfidfVectorizer(sublinear_tf=True, norm="l2")` blocks stacked
side by side and a linear classifier (`LinearSVC`) compute: for each block, the counts of the known
n-grams → 1 + log(count) → × idf → unit length; then one margin per weight row,
Σ weight × value + intercept. tests/test_nlu_fast.py holds it to scikit-learn's numbers.

File layout (`save`/`load`): MAGIC, a 4-byte little-endian header length, the header as UTF-8 JSON
(format version, key, labels, intercepts, temperature, n-gram blocks with vocabulary and idf,
a CRC-32 of the weights, free `meta`), then the weights as little-endian float32, row after row.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import struct
import sys
import zlib
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter, mul
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

MAGIC = b"LDLNGRAM"
FORMAT_VERSION = 1
_HEADER_LENGTH = struct.Struct("<I")
_WHITE_SPACES = re.compile(r"\s\s+")
_TOKEN = re.compile(r"\S+")


@dataclass(frozen=True, slots=True)
class NgramBlock:
    """One vectorizer's part of the features: char n-grams (across spaces) or word n-grams."""

    analyzer: str  # "char" or "word"
    ngram_range: tuple[int, int]
    vocabulary: tuple[str, ...]  # the n-gram of each column, in column order
    idf: tuple[float, ...]
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.analyzer not in ("char", "word"):
            raise ValueError(f"unknown analyzer {self.analyzer!r}")
        if len(self.vocabulary) != len(self.idf):
            raise ValueError("vocabulary and idf differ in length")
        object.__setattr__(self, "_index", {gram: i for i, gram in enumerate(self.vocabulary)})

    @property
    def width(self) -> int:
        return len(self.vocabulary)

    def grams(self, text: str) -> Iterator[str]:
        """The text's n-grams, as scikit-learn's analyzer (lowercase=True, token_pattern r"\\S+") yields them."""
        low, high = self.ngram_range
        text = text.lower()
        if self.analyzer == "char":
            text = _WHITE_SPACES.sub(" ", text)
            length = len(text)
            for n in range(low, min(high, length) + 1):
                for i in range(length - n + 1):
                    yield text[i : i + n]
            return
        tokens = _TOKEN.findall(text)
        for n in range(low, min(high, len(tokens)) + 1):
            for i in range(len(tokens) - n + 1):
                yield " ".join(tokens[i : i + n])

    def row(self, text: str) -> tuple[list[int], list[float]]:
        """The text's tf-idf row as (columns, values): sublinear tf, × idf, unit length."""
        counts: dict[int, int] = {}
        index = self._index
        for gram in self.grams(text):
            column = index.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = list(counts)
        idf = self.idf
        values = [(1.0 + math.log(count)) * idf[column] for column, count in counts.items()]
        length = math.sqrt(sum(v * v for v in values))
        if length > 0:
            values = [v / length for v in values]
        return columns, values

    def to_json(self) -> dict[str, Any]:
        return {
            "analyzer": self.analyzer,
            "ngram_range": list(self.ngram_range),
            "vocabulary": list(self.vocabulary),
            "idf": list(self.idf),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> NgramBlock:
        low, high = raw["ngram_range"]
        return cls(str(raw["analyzer"]), (int(low), int(high)), tuple(raw["vocabulary"]), tuple(raw["idf"]))


@dataclass(frozen=True, slots=True)
class LinearNgramModel:
    """Margins of a linear classifier over stacked tf-idf n-gram blocks.

    `weights` holds one float32 row per margin, each as wide as all blocks together. A multi-class
    model has one row per label; a binary one (scikit-learn's two-class `coef_`) has one row, and
    a positive margin means `labels[1]`.
    """

    blocks: tuple[NgramBlock, ...]
    labels: tuple[str, ...]
    weights: tuple[array[float], ...]  # array("f") rows
    intercepts: tuple[float, ...]
    temperature: float = 1.0  # softmax (or sigmoid) scale that turns margins into probabilities
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        width = sum(block.width for block in self.blocks)
        binary = len(self.labels) == 2 and len(self.weights) == 1
        if not binary and len(self.weights) != len(self.labels):
            raise ValueError("one weight row per label (or one row for two labels)")
        if len(self.intercepts) != len(self.weights) or any(len(row) != width for row in self.weights):
            raise ValueError("weights and intercepts do not fit the blocks")

    @property
    def binary(self) -> bool:
        return len(self.weights) == 1

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """The text's stacked feature row as (columns, values)."""
        columns: list[int] = []
        values: list[float] = []
        offset = 0
        for block in self.blocks:
            block_columns, block_values = block.row(text)
            columns.extend(c + offset for c in block_columns)
            values.extend(block_values)
            offset += block.width
        return columns, values

    def margins(self, text: str) -> list[float]:
        """One margin per weight row (scikit-learn's `decision_function` for this text)."""
        columns, values = self.features(text)
        if not columns:
            return list(self.intercepts)
        pick = itemgetter(*columns)
        if len(columns) == 1:
            return [row[columns[0]] * values[0] + b for row, b in zip(self.weights, self.intercepts, strict=True)]
        return [sum(map(mul, pick(row), values)) + b for row, b in zip(self.weights, self.intercepts, strict=True)]

    def probabilities(self, text: str) -> list[float]:
        """One probability per label: softmax (binary: sigmoid) of the margins × temperature."""
        margins = self.margins(text)
        if self.binary:
            p = 1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, margins[0] * self.temperature))))
            return [1.0 - p, p]
        scaled = [m * self.temperature for m in margins]
        top = max(scaled)
        exps = [math.exp(z - top) for z in scaled]
        total = sum(exps)
        return [e / total for e in exps]

    def predict(self, text: str) -> str:
        margins = self.margins(text)
        if self.binary:
            return self.labels[1] if margins[0] > 0 else self.labels[0]
        return self.labels[max(range(len(margins)), key=margins.__getitem__)]


def content_key(parts: Iterable[bytes | str]) -> str:
    """A hex SHA-256 over the parts, each length-prefixed (so no two sequences share a key)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def _le_float32(rows: Sequence[array[float]]) -> bytes:
    out = array("f")
    for row in rows:
        out.extend(row)
    if sys.byteorder != "little":
        out.byteswap()
    return out.tobytes()


def save(model: LinearNgramModel, path: Path, key: str) -> None:
    """Write the model to `path` atomically (a temporary file, then a rename)."""
    body = _le_float32(model.weights)
    header = {
        "format": FORMAT_VERSION,
        "key": key,
        "labels": list(model.labels),
        "intercepts": list(model.intercepts),
        "temperature": model.temperature,
        "rows": len(model.weights),
        "blocks": [block.to_json() for block in model.blocks],
        "crc32": zlib.crc32(body),
        "meta": model.meta,
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with partial.open("wb") as out:
        out.write(MAGIC + _HEADER_LENGTH.pack(len(head)) + head + body)
    os.replace(partial, path)


def load(path: Path, key: str) -> LinearNgramModel | None:
    """The model stored at `path` if it is the one expected (format and key); None otherwise.

    A missing, stale or damaged file is not an error: the caller retrains.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("model file %s unreadable (%s): retraining", path, exc)
        return None
    try:
        return _decode(data, key)
    except _Stale as exc:
        log.info("model file %s is %s: retraining", path, exc)
    except (ValueError, KeyError, TypeError, struct.error) as exc:
        log.warning("model file %s damaged (%s): retraining", path, exc)
    return None


class _Stale(Exception):
    """The file is sound but not the one expected."""


def _decode(data: bytes, key: str) -> LinearNgramModel:
    if not data.startswith(MAGIC):
        raise ValueError("not a model file")
    start = len(MAGIC) + _HEADER_LENGTH.size
    (head_length,) = _HEADER_LENGTH.unpack_from(data, len(MAGIC))
    header = json.loads(data[start : start + head_length].decode("utf-8"))
    if header.get("format") != FORMAT_VERSION:
        raise _Stale(f"format {header.get('format')}, expected {FORMAT_VERSION}")
    if header.get("key") != key:
        raise _Stale("for other knowledge or code")
    body = memoryview(data)[start + head_length :]
    if zlib.crc32(body) != header["crc32"]:
        raise ValueError("weights fail their checksum")
    blocks = tuple(NgramBlock.from_json(raw) for raw in header["blocks"])
    width = sum(block.width for block in blocks)
    rows = int(header["rows"])
    if len(body) != rows * width * 4:
        raise ValueError("weights cut short or too long")
    flat = array("f")
    flat.frombytes(body)
    if sys.byteorder != "little":
        flat.byteswap()
    weights = tuple(flat[r * width : (r + 1) * width] for r in range(rows))
    return LinearNgramModel(
        blocks=blocks,
        labels=tuple(str(label) for label in header["labels"]),
        weights=weights,
        intercepts=tuple(float(b) for b in header["intercepts"]),
        temperature=float(header["temperature"]),
        meta=dict(header.get("meta") or {}),
    )
