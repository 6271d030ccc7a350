"""`make deploy-test`: the compose deployment brought up for real, checked, and taken down.

Builds the images (on a Debian base made from Debian's archive when none is given:
docker/base-image.sh), starts PostgreSQL, Redis and two bot replicas with docker-compose,
asks each replica one web chat question, finds both inquiries in PostgreSQL (and no
replica that failed to reach Redis), brings the deployment down and up again and finds
them still there. Prints one summary line; what docker printed goes to
var/deploy-test.log. Always removes its containers and volumes; the images stay, so a
second run reuses them. Standard library only.
"""

from __future__ import annotations

import json
import os
import secrets
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
LOG = ROOT / "var" / "deploy-test.log"
PROJECT = "laodong-deploy-test"  # never the name of a real deployment's project
BASE_IMAGE = "laodong-base:bookworm"
REPLICAS = 2
READY_TIMEOUT = 240.0  # seconds for the replicas to answer after `up` (migrations, the engine's training)
REDIS_DOWN = "Redis at redis:6379 did not answer"
QUESTION = "Muốn đi làm việc ở Hàn Quốc theo hợp đồng thì cần làm gì? ({marker})"


class DeployTestError(Exception):
    """A step that failed, said in one line."""


class Deployment:
    """docker-compose for the test project, with its output in the log."""

    def __init__(self, log: IO[str], env: dict[str, str]) -> None:
        self.log = log
        self.env = env

    def run(self, *args: str, check: bool = True, timeout: float = 900) -> str:
        """Run a command, log what it printed, and return its standard output."""
        self.log.write(f"\n$ {' '.join(args)}\n")
        self.log.flush()
        started = time.monotonic()
        done = subprocess.run(
            list(args), cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False
        )
        self.log.write(f"{done.stdout}{done.stderr}[{time.monotonic() - started:.1f} s]\n")
        self.log.flush()
        if check and done.returncode != 0:
            raise DeployTestError(f"{' '.join(args[:3])} … exited with {done.returncode}")
        return done.stdout

    def compose(self, *args: str, check: bool = True, timeout: float = 900) -> str:
        return self.run(
            "docker-compose", "-p", PROJECT, "-f", "docker-compose.yml", *args, check=check, timeout=timeout
        )

    def bot_urls(self) -> list[str]:
        """The replicas' web addresses on this machine (Docker picks the host ports)."""
        urls = []
        for index in range(1, REPLICAS + 1):
            address = self.compose("port", f"--index={index}", "bot", "8080").strip()
            if not address:
                raise DeployTestError(f"bot replica {index} publishes no port")
            urls.append(f"http://{address}")
        return urls

    def sql(self, query: str) -> str:
        return self.compose("exec", "-T", "postgres", "psql", "-U", "laodong", "-d", "laodong", "-Atc", query).strip()

    def up(self) -> list[str]:
        self.compose("up", "-d", "--no-build", "--scale", f"bot={REPLICAS}")
        urls = self.bot_urls()
        started = time.monotonic()
        for url in urls:
            wait_ready(url)
        self.log.write(f"\n# {len(urls)} replicas ready: {', '.join(urls)}\n[{time.monotonic() - started:.1f} s]\n")
        return urls


def http(url: str, body: dict[str, str] | None = None, timeout: float = 30) -> dict[str, object]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:  # loopback only
        result = json.loads(response.read())
    assert isinstance(result, dict)
    return result


def wait_ready(url: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while True:
        try:
            if http(f"{url}/healthz", timeout=5).get("status") == "ok":
                return
        except (OSError, urllib.error.URLError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise DeployTestError(f"{url}/healthz did not answer within {READY_TIMEOUT:.0f} s")
        time.sleep(2)


def test_env() -> dict[str, str]:
    """This machine's environment with fresh secrets for the test deployment (never written to disk)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LAODONG_")}
    env.update(
        LAODONG_DB_PASSWORD=secrets.token_urlsafe(24),
        LAODONG_HASH_KEY=secrets.token_urlsafe(48),
        LAODONG_SECRET_KEY=secrets.token_urlsafe(48),
        LAODONG_RASA_TOKEN=secrets.token_urlsafe(32),
        LAODONG_BASE_IMAGE=os.environ.get("LAODONG_BASE_IMAGE", BASE_IMAGE),
        LAODONG_BOT_PORTS="",  # free ports picked by Docker: nothing else here is disturbed
        COMPOSE_PROJECT_NAME=PROJECT,
    )
    return env


def build(deployment: Deployment) -> None:
    if deployment.env["LAODONG_BASE_IMAGE"] == BASE_IMAGE:
        deployment.run("bash", "docker/base-image.sh", BASE_IMAGE, timeout=900)
    args = ["build", "--parallel"]
    index = os.environ.get("PIP_INDEX_URL", "")
    if index.startswith(("http://", "https://")):  # this machine's PyPI mirror, if it has one
        args += ["--build-arg", f"PIP_INDEX_URL={index}"]
    deployment.compose(*args, "postgres", "redis", "bot", timeout=1200)


def check(deployment: Deployment) -> str:
    deployment.compose("down", "-v", "--remove-orphans", check=False)  # what an interrupted run left
    build(deployment)
    urls = deployment.up()
    marker = "".join(secrets.choice(string.ascii_lowercase) for _ in range(16))  # letters: never redacted
    for number, url in enumerate(urls, 1):
        reply = http(f"{url}/api/chat", {"text": QUESTION.format(marker=f"{marker} {number}")})["reply"]
        if not isinstance(reply, dict) or not reply.get("text"):
            raise DeployTestError(f"replica {number} ({url}) gave no answer: {reply!r}")
    count_query = f"SELECT count(DISTINCT text) FROM inquiries WHERE channel = 'web' AND text LIKE '%{marker}%'"
    stored = int(deployment.sql(count_query) or 0)
    if stored != REPLICAS:
        raise DeployTestError(f"{stored} of {REPLICAS} inquiries in PostgreSQL")
    if REDIS_DOWN in deployment.compose("logs", "--no-color", "bot"):  # bot/redis_link.py's warning
        raise DeployTestError("a replica did not reach Redis: its rate limits were not shared")
    deployment.compose("down")  # containers gone, volumes kept
    deployment.up()
    kept = int(deployment.sql(count_query) or 0)
    if kept != REPLICAS:
        raise DeployTestError(f"{kept} of {REPLICAS} inquiries left after down/up")
    return f"{REPLICAS} replicas answered (sharing Redis), {stored} inquiries in PostgreSQL, kept across down/up"


def main() -> int:
    started = time.monotonic()
    LOG.parent.mkdir(exist_ok=True)
    with LOG.open("w", encoding="utf-8") as log:
        deployment = Deployment(log, test_env())
        try:
            engine = subprocess.run(["bash", "docker/engine.sh"], cwd=ROOT, capture_output=True, text=True, check=False)
            log.write(engine.stdout + engine.stderr)
            if engine.returncode != 0:
                raise DeployTestError((engine.stderr.strip().splitlines() or ["docker cannot run here"])[-1])
            summary, ok = check(deployment), True
        except (DeployTestError, OSError, subprocess.TimeoutExpired, urllib.error.URLError) as error:
            summary, ok = f"{error} (details: {LOG.relative_to(ROOT)})", False
            if not isinstance(error, OSError):
                deployment.compose("logs", "--no-color", "--tail=40", check=False, timeout=60)
        finally:
            try:
                deployment.compose("down", "-v", "--remove-orphans", check=False, timeout=300)
            except (OSError, subprocess.TimeoutExpired) as error:  # no docker-compose at all
                log.write(f"clean-up: {error}\n")
    print(f"deploy-test: {'ok' if ok else 'FAILED'} — {summary} ({time.monotonic() - started:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
