"""`laodong serve --workers N`: N server processes on one port, one per core.

Each worker is a whole `laodong serve` (its own engine, pool and event loop) listening with
SO_REUSEPORT, so the kernel spreads incoming connections across them. They share what any
replicas share: the database (state, deduplication, campaign counts) and, with
LAODONG_REDIS_URL, the rate limits. This process only supervises: it migrates the database
once, starts the workers, restarts one that dies, and passes SIGINT/SIGTERM on.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import subprocess
import sys
import time
from types import FrameType

from bot.settings import Settings
from bot.store.opening import open_store

log = logging.getLogger(__name__)

SUPERVISE_EVERY = 0.5
STOP_TIMEOUT = 30.0


def worker_command(host: str, port: int) -> list[str]:
    serve = ["serve", "--host", host, "--port", str(port), "--workers", "1", "--reuse-port"]
    return [sys.executable, "-m", "bot.cli", *serve]


def start(command: list[str]) -> subprocess.Popen[bytes]:
    """A worker in a session of its own: a Ctrl-C in the terminal reaches the supervisor only,
    which passes one SIGINT on (two would cut aiohttp's graceful shutdown short)."""
    return subprocess.Popen(command, start_new_session=True)


async def _migrate(settings: Settings) -> None:
    async with open_store(settings):
        pass  # brought to the latest schema once, before the workers start


def check(settings: Settings) -> None:
    """Refuse, in plain words, what several workers cannot do."""
    if settings.telegram_polling or settings.zalo_polling:
        raise SystemExit("laodong: polling takes one worker (several would fetch the same updates); use webhooks")
    settings.refuse_unsafe_start()


def supervise(settings: Settings, workers: int, host: str, port: int) -> int:
    """Run `workers` server processes until SIGINT/SIGTERM; the exit code of the first broken one, else 0."""
    check(settings)
    if workers > 1 and not settings.redis_url:
        log.warning(
            "%d workers without LAODONG_REDIS_URL: flood control and send pacing are per worker "
            "(a flooder gets %d times the rate; set LAODONG_REDIS_URL to share them)",
            workers,
            workers,
        )
    asyncio.run(_migrate(settings))  # once, before the workers: they then find the schema current
    command = worker_command(host, port)
    procs = [(start(command), time.monotonic()) for _ in range(workers)]
    stopping = False

    def stop(signum: int, _frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for proc, _ in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)  # aiohttp's graceful shutdown: replies in flight go out

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    code = 0
    try:
        while not stopping:
            time.sleep(SUPERVISE_EVERY)
            for i, (proc, started) in enumerate(procs):
                returned = proc.poll()
                if returned is None or stopping:
                    continue
                # Dead sooner than this after it started: broken (port taken, bad settings), and
                # restarting it would only loop, so everything stops.
                if time.monotonic() - started < settings.worker_startup_grace:
                    log.error("worker %d exited with %d at start-up: stopping", proc.pid, returned)
                    code = returned or 1
                    stop(signal.SIGTERM, None)
                    break
                log.error("worker %d exited with %d: starting another", proc.pid, returned)
                procs[i] = (start(command), time.monotonic())
        deadline = time.monotonic() + STOP_TIMEOUT
        for proc, _ in procs:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("worker %d did not stop in %.0f s: killed", proc.pid, STOP_TIMEOUT)
                proc.kill()
                proc.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return code


def main() -> None:
    """`python -m bot.web.workers N HOST PORT`: what `laodong serve --workers N` becomes (exec), so
    the supervisor does not carry the engine and libraries the workers load (≈ 180 MB)."""
    logging.basicConfig(format="laodong supervisor: %(message)s")
    workers, host, port = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    raise SystemExit(supervise(Settings(), workers, host, port))


if __name__ == "__main__":
    main()
