"""Run the Rasa server and the action server on loopback (`make rasa-run`, the tests, the benchmark).

    .venv/bin/python -m nlu.rasa_servers [--port 5005] [--actions-port 5055]

The Rasa server runs `rasa run --enable-api` with an auth token (LAODONG_RASA_TOKEN, or
a random one printed at start) on the trained model of `make rasa`; the action server runs
`python -m rasa_sdk --actions actions.rasa_actions`. Both from `.rasa-venv`. Start-up is
awaited by polling their health endpoints with a time limit.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from nlu.rasa_build import ROOT, RasaLayout, ensure_model, rasa_env

LOOPBACK = "127.0.0.1"


class ServerFailed(RuntimeError):
    """A server exited, or did not become healthy in time."""


def _get(url: str, timeout: float = 2.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status), resp.read()
    except urllib.error.HTTPError as exc:
        return int(exc.code), exc.read()


def wait_healthy(proc: subprocess.Popen[bytes], url: str, timeout: float, log: Path | None = None) -> None:
    """Poll url until it answers 200, the process exits, or the time limit passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            pass
        try:
            proc.wait(timeout=0.25)  # the pause between polls; returns early if the server died
        except subprocess.TimeoutExpired:
            continue
        tail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
        raise ServerFailed(f"{url}: the server exited with {proc.returncode}\n{tail}")
    raise ServerFailed(f"{url}: not healthy after {timeout:.0f} s")


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return int(s.getsockname()[1])


@dataclass
class RasaServers:
    """The Rasa server and the action server, as child processes."""

    layout: RasaLayout = field(default_factory=RasaLayout)
    port: int = 5005
    actions_port: int = 5055
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    host: str = LOOPBACK
    rasa: subprocess.Popen[bytes] | None = None
    actions: subprocess.Popen[bytes] | None = None
    startup_seconds: float = 0.0

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def actions_url(self) -> str:
        return f"http://{self.host}:{self.actions_port}"

    def _env(self) -> dict[str, str]:
        # SANIC_HOST: where the action server listens (rasa_sdk has no option for it; default 0.0.0.0).
        return {**rasa_env(self.layout), "LAODONG_ACTIONS_URL": f"{self.actions_url}/webhook", "SANIC_HOST": self.host}

    def _spawn(self, args: list[str], cwd: Path, log: Path) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:  # the child keeps its own handle
            return subprocess.Popen(args, cwd=cwd, env=self._env(), stdout=out, stderr=subprocess.STDOUT)

    def start_actions(self, timeout: float = 60) -> None:
        log = self.layout.home / "actions.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        self.actions = self._spawn(
            [
                str(self.layout.bin("python")),
                "-m",
                "rasa_sdk",
                "--actions",
                "actions.rasa_actions",
                "--port",
                str(self.actions_port),
            ],
            ROOT,
            log,
        )
        wait_healthy(self.actions, f"{self.actions_url}/health", timeout, log)

    def rasa_command(self) -> list[str]:
        """`rasa run` with the API on, behind the token (given as --auth-token=…: a random token may
        start with "-", which argparse would take for an option)."""
        return [
            str(self.layout.bin("rasa")),
            "run",
            "--enable-api",
            "--interface",
            self.host,
            "--port",
            str(self.port),
            f"--auth-token={self.token}",
            "--model",
            str(self.layout.model),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
        ]

    def start_rasa(self, timeout: float = 240) -> None:
        log = self.layout.home / "rasa.log"
        started = time.perf_counter()
        self.rasa = self._spawn(self.rasa_command(), self.layout.project, log)
        wait_healthy(self.rasa, f"{self.url}/status?token={self.token}", timeout, log)
        self.startup_seconds = time.perf_counter() - started

    def start(self) -> RasaServers:
        ensure_model(self.layout)
        self.start_actions()
        self.start_rasa()
        return self

    @staticmethod
    def _stop(proc: subprocess.Popen[bytes] | None) -> None:
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)  # both servers (Sanic) shut down gracefully on it
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def stop_rasa(self) -> None:
        self._stop(self.rasa)

    def stop(self) -> None:
        self._stop(self.rasa)
        self._stop(self.actions)

    def __enter__(self) -> RasaServers:
        return self.start()

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def rss_mb(self, proc: subprocess.Popen[bytes] | None) -> float:
        """Resident memory of a server process (Linux /proc), MB."""
        if proc is None:
            return float("nan")
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def peak_rss_mb(self, proc: subprocess.Popen[bytes] | None) -> float:
        if proc is None:
            return float("nan")
        for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the Rasa server and the action server on loopback.")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--actions-port", type=int, default=5055)
    args = parser.parse_args(argv)
    token = os.environ.get("LAODONG_RASA_TOKEN") or secrets.token_urlsafe(24)
    # Ctrl+C, or a TERM from a supervisor, stops both servers (even when started with SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    servers = RasaServers(port=args.port, actions_port=args.actions_port, token=token)
    print("starting the action server and the Rasa server (about half a minute) …", flush=True)
    try:
        servers.start()
        print(
            json.dumps(
                {
                    "LAODONG_NLU": "rasa",
                    "LAODONG_RASA_URL": servers.url,
                    "LAODONG_RASA_TOKEN": token,
                    "rest_webhook": f"{servers.url}/webhooks/rest/webhook",
                    "actions": servers.actions_url,
                }
            ),
            flush=True,
        )
        print("Ctrl+C stops both.", flush=True)
        assert servers.rasa is not None
        servers.rasa.wait()
    except KeyboardInterrupt:
        pass
    except ServerFailed as exc:
        print(f"nlu.rasa_servers: {exc}", file=sys.stderr)
        return 1
    finally:
        servers.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
