"""Helpers for the Rasa tests: ports, and whether the Rasa venv is there."""

from __future__ import annotations

import os
import socket

import pytest

from nlu.rasa_build import RasaLayout


def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_rasa(layout: RasaLayout) -> None:
    """Skip without the Rasa venv, except in CI, where its absence is a failure."""
    if layout.available():
        return
    reason = f"no Rasa venv at {layout.venv}: run `make rasa` (needs python3.10)"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason + " — CI must run the Rasa integration test")
    pytest.skip(reason)
