"""Helpers for tests that run real `laodong serve` processes on loopback."""

from __future__ import annotations

import asyncio
import socket
import subprocess

import aiohttp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_healthy(session: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes]) -> None:
    """Poll /healthz until the server answers (bounded: 60 s), failing early if it died."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 60
    while loop.time() < deadline:
        assert proc.poll() is None, f"laodong serve exited with {proc.returncode}"
        try:
            async with session.get(url + "/healthz") as res:
                if res.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError(f"{url} did not become healthy")
