"""A local journal of inquiry records the database could not take, written back once it can."""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import json
import logging
import os
import socket
from pathlib import Path

from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from bot.privacy import redact_all
from bot.store.store import Forgotten, Store, TurnRecord

# The database did not answer: the message is still answered, its record journaled.
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout, OSError, asyncio.TimeoutError)


def database_down(exc: BaseException) -> bool:
    """Whether a store call failed for want of the database (not because of the data it was given)."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:  # e.g. a pooled connection the server dropped
        return True
    return isinstance(exc, DATABASE_DOWN)


log = logging.getLogger(__name__)


DIRECTORY_MODE = 0o700  # the journal holds (redacted) messages: for the bot's own user only
FILE_MODE = 0o600


# The fields of a record that hold what a worker typed (or text made from it).
_TEXT_FIELDS = ("state", "text", "normalized", "reply_text", "handoff_question", "enterprise_name")


def _scrubbed(record: TurnRecord) -> TurnRecord:
    """The record redacted again: a journal written by an older version may hold what it let through."""
    return dataclasses.replace(record, **{f: redact_all(getattr(record, f)) for f in _TEXT_FIELDS})


class Journal:
    """Append-only JSON lines under a folder, one file per process, fsynced on every record.

    Records a user erased (/xoa) while they waited here are dropped on replay, not written.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        # Host and pid: replicas may share the folder (a volume) and all be pid 1 in their containers.
        self.path = directory / f"journal-{socket.gethostname()}-{os.getpid()}.jsonl"

    def append(self, record: TurnRecord) -> None:
        """Make one record durable on local disk."""
        self.directory.mkdir(mode=DIRECTORY_MODE, parents=True, exist_ok=True)
        self.directory.chmod(DIRECTORY_MODE)  # also a folder made before, or by a looser umask
        line = json.dumps(dataclasses.asdict(record), ensure_ascii=False) + "\n"
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, FILE_MODE)
        with os.fdopen(fd, "a", encoding="utf-8") as f:
            os.fchmod(fd, FILE_MODE)
            f.write(line)
            f.flush()
            os.fsync(f.fileno())

    def pending(self) -> int:
        """How many records wait for the database."""
        return sum(
            1 for p in self.directory.glob("journal-*.jsonl") for line in p.read_text("utf-8").splitlines() if line
        )

    async def replay(self, store: Store) -> int:
        """Write journaled records to the store; each exactly once. Returns how many were written."""
        written = 0
        for path in sorted(self.directory.glob("journal-*.jsonl")):
            with path.open("r+", encoding="utf-8") as f:
                try:
                    fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # another process is replaying this file
                lines = [line for line in f.read().splitlines() if line.strip()]
                left: list[str] = []
                for i, line in enumerate(lines):
                    record = _scrubbed(TurnRecord(**json.loads(line)))
                    try:
                        await store.record(record)
                        written += 1
                    except IntegrityError:
                        pass  # written before (its external id is already in the log)
                    except Forgotten:
                        pass  # its user erased their data after it came in: dropped
                    except Exception:
                        left = lines[i:]  # the database went away again: keep the rest
                        log.warning("journal replay stopped; %d records left in %s", len(left), path)
                        break
                f.seek(0)
                f.truncate()
                f.write("".join(f"{line}\n" for line in left))
                f.flush()
                os.fsync(f.fileno())
            if not left:
                path.unlink(missing_ok=True)
        return written
