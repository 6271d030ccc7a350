"""A trained linear n-gram classifier as plain data, scored in pure Python.

The model is what scikit-learn's `TfidfVectorizer(sublinear_tf=True, norm="l2")` blocks stacked
side by side and a linear classifier (`LinearSVC`) compute: for each block, the counts of the known
n-grams → 1 + log(count) → × idf → unit length; then one margin per weight row,
Σ weight × value + intercept. tests/test_nlu_fast.py holds it to scikit-learn's numbers.
Training is nlu/fit.py's (scikit-learn); the file a model is stored in is nlu/artefact.py's.
"""

from __future__ import annotations

import math
import re
import sys
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import InitVar, dataclass, field
from functools import lru_cache
from operator import mul
from typing import Any

_WHITE_SPACES = re.compile(r"\s\s+")


def grams(analyzer: str, ngram_range: tuple[int, int], text: str) -> list[str]:
    """The text's n-grams, as scikit-learn's analyzer (lowercase=True, token_pattern r"\\S+") yields them."""
    low, high = ngram_range
    text = text.lower()
    if analyzer == "char":
        text = _WHITE_SPACES.sub(" ", text)
        length = len(text)
        return [text[i : i + n] for n in range(low, min(high, length) + 1) for i in range(length - n + 1)]
    tokens = text.split()  # str.split's whitespace is re's \s: the same tokens as r"\S+"
    out = tokens[:] if low == 1 else []
    for n in range(max(low, 2), min(high, len(tokens)) + 1):
        out += map(" ".join, zip(*(tokens[k:] for k in range(n)), strict=False))  # the last slice is the shortest
    return out


@lru_cache(maxsize=16)
def gram_counts(analyzer: str, ngram_range: tuple[int, int], text: str) -> dict[str, int]:
    """How often each n-gram occurs in the text, in order of first occurrence. Kept for the last few
    texts: the NLU engine and the situation detector read the same text with the same n-grams."""
    return Counter(grams(analyzer, ngram_range, text))


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

    def grams(self, text: str) -> list[str]:
        """The text's n-grams, as scikit-learn's analyzer yields them."""
        return grams(self.analyzer, self.ngram_range, text)

    def row(self, text: str) -> tuple[list[int], list[float]]:
        """The text's tf-idf row as (columns, values): sublinear tf, × idf, unit length."""
        columns, values = self.weighted(text)
        length = math.sqrt(sum(map(mul, values, values)))
        return columns, [v / length for v in values] if length > 0 else values

    def weighted(self, text: str) -> tuple[list[int], list[float]]:
        """The columns of the text's known n-grams (in order of first occurrence) and their
        sublinear tf × idf, before the row is scaled to unit length."""
        columns: list[int] = []
        values: list[float] = []
        get, idf, log = self._index.get, self.idf, math.log
        for gram, count in gram_counts(self.analyzer, self.ngram_range, text).items():  # shared: only read it
            column = get(gram)
            if column is not None:
                columns.append(column)
                values.append(idf[column] if count == 1 else (1.0 + log(count)) * idf[column])
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


OFFSET = 1 << 31  # added to every fixed-point weight so that each is ≥ 0 and < 2**32


@dataclass(frozen=True, slots=True)
class LinearNgramModel:
    """Margins of a linear classifier over stacked tf-idf n-gram blocks.

    A multi-class model has one weight row (margin) per label; a binary one (scikit-learn's
    two-class `coef_`) has one row, and a positive margin means `labels[1]`.

    The weights are fixed-point: weight × 2**weight_shift rounded, + OFFSET, as unsigned 64-bit
    fields, column after column (one column per n-gram, one field per row): `fixed` in, `fixed()` out.
    Each column is one Python integer with a 64-bit field per row, so a message's margins are a
    handful of big-integer multiply-adds, one per n-gram it has, done by the interpreter in C:
    no field can carry into the next (every term ≥ 0, every sum < 2**64). Margins agree with
    scikit-learn's to ~1e-7 (tests/test_nlu_fast.py).
    """

    blocks: tuple[NgramBlock, ...]
    labels: tuple[str, ...]
    rows: int
    weight_shift: int
    fixed_weights: InitVar[bytes | memoryview]
    intercepts: tuple[float, ...]
    temperature: float = 1.0  # softmax (or sigmoid) scale that turns margins into probabilities
    meta: dict[str, Any] = field(default_factory=dict)
    _columns: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _offsets: tuple[int, ...] = field(init=False, repr=False, compare=False)  # each block's first column

    def __post_init__(self, fixed_weights: bytes | memoryview) -> None:
        width = sum(block.width for block in self.blocks)
        if not (self.rows == len(self.labels) or (self.rows == 1 and len(self.labels) == 2)):
            raise ValueError("one weight row per label (or one row for two labels)")
        if len(self.intercepts) != self.rows or len(fixed_weights) != 8 * self.rows * width:
            raise ValueError("weights and intercepts do not fit the blocks")
        step = 8 * self.rows
        view = memoryview(fixed_weights)
        columns = tuple(int.from_bytes(view[c * step : (c + 1) * step], "little") for c in range(width))
        object.__setattr__(self, "_columns", columns)
        offsets = [0]
        for block in self.blocks[:-1]:
            offsets.append(offsets[-1] + block.width)
        object.__setattr__(self, "_offsets", tuple(offsets[: len(self.blocks)]))

    @classmethod
    def from_weights(
        cls,
        blocks: Sequence[NgramBlock],
        labels: Sequence[str],
        weights: Sequence[Sequence[float]],
        intercepts: Sequence[float],
        temperature: float = 1.0,
        meta: dict[str, Any] | None = None,
    ) -> LinearNgramModel:
        """A model from float weight rows (one per margin), as wide as the blocks together."""
        largest = max((abs(w) for row in weights for w in row), default=0.0)
        shift = 30 - (math.frexp(largest)[1] if largest > 0 else 0)  # |weight| × 2**shift < 2**30
        width = len(weights[0]) if weights else 0
        fixed = array("Q", bytes(8 * len(weights) * width))
        for r, row in enumerate(weights):
            for c, w in enumerate(row):
                fixed[c * len(weights) + r] = round(math.ldexp(w, shift)) + OFFSET
        if sys.byteorder != "little":
            fixed.byteswap()
        return cls(
            blocks=tuple(blocks),
            labels=tuple(labels),
            rows=len(weights),
            weight_shift=shift,
            fixed_weights=fixed.tobytes(),
            intercepts=tuple(float(b) for b in intercepts),
            temperature=temperature,
            meta=dict(meta or {}),
        )

    @property
    def binary(self) -> bool:
        return self.rows == 1

    def fixed(self) -> bytes:
        """The fixed-point weights as stored: column after column, a little-endian 64-bit field per row."""
        size = 8 * self.rows
        return b"".join(column.to_bytes(size, "little") for column in self._columns)

    def features(self, text: str) -> tuple[list[int], list[float]]:
        """The text's stacked feature row as (columns, values): each block's tf-idf row, unit length."""
        columns: list[int] = []
        values: list[float] = []
        for block, offset in zip(self.blocks, self._offsets, strict=True):
            found, row = block.weighted(text)
            if not found:
                continue
            length = math.sqrt(sum(map(mul, row, row)))
            columns += map(offset.__add__, found) if offset else found
            values += [v / length for v in row]
        return columns, values

    def margins(self, text: str) -> list[float]:
        """One margin per weight row (scikit-learn's `decision_function` for this text)."""
        columns, values = self.features(text)
        if not columns:
            return list(self.intercepts)
        # Values in fixed point too, as fine as keeps Σ value × 2**shift < 2**30: fields stay under 2**62,
        # and each value is one 30-bit digit of CPython's integers (the fast multiplication).
        shift = 30 - math.frexp(sum(values))[1]
        scale = 2.0**shift  # × a power of two: ldexp's result, for less
        scaled = [round(v * scale) for v in values]
        total = sum(map(mul, scaled, map(self._columns.__getitem__, columns)))
        fields = array("Q")
        fields.frombytes(total.to_bytes(8 * self.rows, "little"))
        if sys.byteorder != "little":
            fields.byteswap()
        offset = sum(scaled) * OFFSET
        unit = math.ldexp(1.0, -(self.weight_shift + shift))
        return [(f - offset) * unit + b for f, b in zip(fields, self.intercepts, strict=True)]

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

    def sigmoids(self, text: str) -> list[float]:
        """One probability per row, each row an independent yes/no (several binary heads on one set of n-grams)."""
        return [1.0 / (1.0 + math.exp(-max(-700.0, min(700.0, m * self.temperature)))) for m in self.margins(text)]

    def predict(self, text: str) -> str:
        margins = self.margins(text)
        if self.binary:
            return self.labels[1] if margins[0] > 0 else self.labels[0]
        return self.labels[max(range(len(margins)), key=margins.__getitem__)]
