"""Export the Rasa project and train its model, only when what the model depends on changed.

    .venv/bin/python -m nlu.rasa_build [--force]      (what `make rasa` runs)

Rasa 3.6 lives in its own Python 3.10 venv (`.rasa-venv`, made by `make rasa-venv`); this
module runs in the bot's venv and calls that venv's `rasa`. The exported project goes to
var/rasa/project, the model to var/rasa/models/laodong.tar.gz, with a JSON note beside it
(fingerprint of the project and the custom component, training seconds). A file lock
keeps two test runs in one tree from training at once.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from knowledge.model import load_knowledge
from nlu.rasa_export import export_project, model_fingerprint, project_files

ROOT = Path(__file__).resolve().parents[1]
RASA_VENV = ROOT / ".rasa-venv"
RASA_HOME = ROOT / "var" / "rasa"
MODEL_NAME = "laodong"


class RasaUnavailable(RuntimeError):
    """There is no Rasa venv to train or run with."""


@dataclass(frozen=True, slots=True)
class RasaLayout:
    """Where the Rasa venv, the exported project and the model live."""

    venv: Path = RASA_VENV
    home: Path = RASA_HOME

    @property
    def project(self) -> Path:
        return self.home / "project"

    @property
    def models(self) -> Path:
        return self.home / "models"

    @property
    def model(self) -> Path:
        return self.models / f"{MODEL_NAME}.tar.gz"

    @property
    def note(self) -> Path:
        return self.models / f"{MODEL_NAME}.json"

    def bin(self, name: str) -> Path:
        return self.venv / "bin" / name

    def available(self) -> bool:
        return self.bin("rasa").exists() and self.bin("python").exists()


def rasa_env(layout: RasaLayout) -> dict[str, str]:
    """Environment for Rasa processes: the project importable, no telemetry, quiet TensorFlow."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHONHOME"))}
    env.update(
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
        RASA_CACHE_DIRECTORY=str(layout.home / "cache"),
    )
    return env


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def read_note(layout: RasaLayout) -> dict[str, object]:
    try:
        note = json.loads(layout.note.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return note if isinstance(note, dict) else {}


def _run(layout: RasaLayout, *args: str, log: Path) -> None:
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(
            [str(layout.bin("rasa")), *args],
            cwd=layout.project,
            env=rasa_env(layout),
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if done.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-3000:]
        raise RuntimeError(f"rasa {args[0]} failed ({done.returncode}); see {log}\n{tail}")


def ensure_model(layout: RasaLayout | None = None, force: bool = False, echo: bool = False) -> Path:
    """Export the project, validate and train it if its inputs changed; return the model path."""
    layout = layout or RasaLayout()
    if not layout.available():
        raise RasaUnavailable(f"no Rasa venv at {layout.venv}; run `make rasa-venv` (needs python3.10)")
    say = print if echo else (lambda *_: None)
    with _locked(layout.home / ".lock"):
        kb = load_knowledge()
        export_project(kb, layout.project)
        fingerprint = model_fingerprint(project_files(kb))
        note = read_note(layout)
        if not force and layout.model.exists() and note.get("fingerprint") == fingerprint:
            say(f"Rasa model up to date: {layout.model} (trained in {note.get('training_seconds')} s)")
            return layout.model
        layout.models.mkdir(parents=True, exist_ok=True)
        say(f"validating {layout.project} …")
        _run(layout, "data", "validate", log=layout.home / "validate.log")
        say(f"training the Rasa model (log: {layout.home / 'train.log'}) …")
        staging = layout.models / ".training"
        shutil.rmtree(staging, ignore_errors=True)
        started = time.perf_counter()
        _run(
            layout,
            "train",
            "--fixed-model-name",
            MODEL_NAME,
            "--out",
            str(staging),
            *(["--force"] if force else []),  # --force also bypasses Rasa's cache of trained components
            log=layout.home / "train.log",
        )
        seconds = round(time.perf_counter() - started, 1)
        # In place at once: a Rasa server starting meanwhile reads the old model or the new, never half.
        os.replace(staging / layout.model.name, layout.model)
        shutil.rmtree(staging, ignore_errors=True)
        # Without --force, Rasa reuses components whose inputs did not change (var/rasa/cache).
        note = {
            "fingerprint": fingerprint,
            "training_seconds": seconds,
            "forced": force,
            "trained_at": time.time(),
        }
        layout.note.write_text(json.dumps(note), encoding="utf-8")
        say(f"Rasa model trained in {seconds} s: {layout.model}")
        return layout.model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--force", action="store_true", help="train even if nothing changed")
    args = parser.parse_args(argv)
    try:
        ensure_model(force=args.force, echo=True)
    except (RasaUnavailable, RuntimeError) as exc:
        print(f"nlu.rasa_build: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
