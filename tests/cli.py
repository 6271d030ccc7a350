"""`laodong` run in the test process: `bot.cli.main(argv, stdin, stdout)` under a fresh environment.

Most command tests check what a command prints and stores, not the process around it; starting
a Python for each (which imports the whole bot, and trained the models again in every fresh data
dir) took a third of the suite's time. The models are trained once per session here and linked
into each test's data dir. Tests of the process boundary itself (start-up imports, workers,
crashes) still start real processes.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.cli import main


@dataclass(frozen=True)
class Done:
    """What a command did: its exit code, what it printed, and the message it exited with."""

    returncode: int
    stdout: str
    stderr: str


def run(env: Mapping[str, str], *argv: str, stdin: str = "") -> Done:
    """Run `laodong ARGV` with these LAODONG_ settings (and no others from the environment)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("LAODONG_")]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        try:
            code, message = main(list(argv), stdin=io.StringIO(stdin), stdout=out), ""
        except SystemExit as exc:  # argparse and the commands' own refusals
            code = exc.code if isinstance(exc.code, int) else 1
            message = "" if isinstance(exc.code, int) or exc.code is None else str(exc.code)
    return Done(code, out.getvalue(), message)


def link_models(trained: Path, data_dir: Path) -> None:
    """Give a fresh data dir the models trained once for the session (hard links: no copying)."""
    models = data_dir / "models"
    models.mkdir(parents=True, exist_ok=True)
    for model in trained.glob("*.model"):
        target = models / model.name
        if not target.exists():
            os.link(model, target)
