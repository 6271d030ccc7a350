"""The local Redis server, for the tests of limits shared between processes: a fresh key prefix each."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

REDIS_URL = os.environ.get("LAODONG_TEST_REDIS", "redis://127.0.0.1:6379/0")


@dataclass
class RedisNamespace:
    """A key prefix no other test uses, and a client to look at its keys."""

    url: str
    prefix: str
    client: Redis

    async def keys(self) -> dict[str, int]:
        """Every key under the prefix, with the milliseconds it has left to live (-1: no expiry)."""
        keys = [key async for key in self.client.scan_iter(match=f"{self.prefix}*")]
        return {key.decode(): int(await self.client.pttl(key)) for key in keys}


@asynccontextmanager
async def redis_namespace() -> AsyncIterator[RedisNamespace]:
    """A fresh prefix on the real Redis, its keys deleted afterwards. No Redis fails the test: CI runs one."""
    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); tests marked `redis` need it", pytrace=False)
    namespace = RedisNamespace(REDIS_URL, f"laodong-test-{uuid.uuid4().hex[:12]}:", client)
    try:
        yield namespace
    finally:
        keys = [key async for key in client.scan_iter(match=f"{namespace.prefix}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()
