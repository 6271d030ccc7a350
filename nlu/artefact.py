"""A trained linear n-gram classifier (nlu/linear.py) stored as one small file, and trained once.

Training (nlu/fit.py, scikit-learn) happens once, in a child process; serving loads the file
with the standard library alone, so a worker process never imports scikit-learn, SciPy or NumPy.
Processes sharing a models directory train under its lock, one at a time.

File layout (`save`/`load`): MAGIC, a 4-byte little-endian header length, the header as UTF-8 JSON
(format version, key, labels, intercepts, temperature, n-gram blocks with vocabulary and idf,
a CRC-32 of the weights, free `meta`), then the fixed-point weights (`LinearNgramModel.fixed()`).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import struct
import subprocess
import sys
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from nlu.linear import LinearNgramModel, NgramBlock

__all__ = [  # the model's classes too, for the callers that load and build models through this module
    "FORMAT_VERSION",
    "MAGIC",
    "LinearNgramModel",
    "NgramBlock",
    "content_key",
    "load",
    "load_or_store",
    "save",
    "train_in_child",
    "training_lock",
]

log = logging.getLogger(__name__)

MAGIC = b"LDLNGRAM"
FORMAT_VERSION = 1
_HEADER_LENGTH = struct.Struct("<I")


def train_in_child(trainer: str, args: dict[str, Any], path: Path, key: str) -> None:
    """Train in a child process (`python -m nlu.fit`) and store the model at `path` under `key`.

    `trainer` names a function, "module:function", that takes `args` (plain JSON data) and returns
    a `LinearNgramModel` (e.g. "nlu.fit:fit_model"). The calling process imports none of the
    training libraries and keeps none of training's memory. RuntimeError if training fails.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    job = {"trainer": trainer, "args": args, "path": str(path), "key": key}
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".json", dir=path.parent, delete=False) as out:
        json.dump(job, out, ensure_ascii=False)
    job_file = Path(out.name)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "nlu.fit", str(job_file)], capture_output=True, text=True, check=False
        )
    finally:
        job_file.unlink(missing_ok=True)
    if done.returncode != 0:
        raise RuntimeError(f"training with {trainer} failed: {done.stderr.strip()[-2000:]}")


def content_key(parts: Iterable[bytes | str]) -> str:
    """A hex SHA-256 over the parts, each length-prefixed (so no two sequences share a key)."""
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def save(model: LinearNgramModel, path: Path, key: str) -> None:
    """Write the model to `path` atomically (a temporary file, then a rename)."""
    body = model.fixed()
    header = {
        "format": FORMAT_VERSION,
        "key": key,
        "labels": list(model.labels),
        "intercepts": list(model.intercepts),
        "temperature": model.temperature,
        "rows": model.rows,
        "weight_shift": model.weight_shift,
        "blocks": [block.to_json() for block in model.blocks],
        "crc32": zlib.crc32(body),
        "meta": model.meta,
    }
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # A unique name: two containers sharing a volume can run writers with the same pid.
    fd, partial = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(MAGIC + _HEADER_LENGTH.pack(len(head)) + head + body)
        os.chmod(partial, 0o644)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def load_or_store(path: Path, key: str, train: Callable[[], None]) -> tuple[LinearNgramModel, bool]:
    """The model stored at `path` under `key`, running `train` (which stores it there) if there is none.

    Returns (model, trained here). Training happens under the directory's lock, and the file is
    looked for again once the lock is held, so processes sharing the directory train it once.
    OSError when the directory cannot be written; RuntimeError when training left no model.
    """
    model = load(path, key)
    if model is not None:
        return model, False
    with training_lock(path.parent):
        model = load(path, key)  # stored by another process while this one waited
        if model is not None:
            return model, False
        train()
        model = load(path, key)
        if model is None:
            raise RuntimeError(f"training did not leave a model at {path}")
        return model, True


@contextlib.contextmanager
def training_lock(models_dir: Path) -> Iterator[None]:
    """Hold the models directory's training lock (a `flock` on a file in it).

    Processes that share the directory (workers, replicas on one volume) train one at a time;
    the one that waited loads what the first one stored instead of training again.
    """
    models_dir.mkdir(parents=True, exist_ok=True)
    with open(models_dir / ".training.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, struct.error) as exc:
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
    body = memoryview(data)[start + head_length :]  # not copied
    if zlib.crc32(body) != header["crc32"]:
        raise ValueError("weights fail their checksum")
    return LinearNgramModel(
        blocks=tuple(NgramBlock.from_json(raw) for raw in header["blocks"]),
        labels=tuple(str(label) for label in header["labels"]),
        rows=int(header["rows"]),
        weight_shift=int(header["weight_shift"]),
        fixed_weights=body,
        intercepts=tuple(float(b) for b in header["intercepts"]),
        temperature=float(header["temperature"]),
        meta=dict(header.get("meta") or {}),
    )
