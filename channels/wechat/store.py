"""Short-lived shared state: which MsgIds were answered and how, the access_token, each user's last
numbered options and message count. In Redis when REDIS_URL is set, so replicas behind a load balancer
agree; in this process otherwise. Values are strings; every key expires."""
from __future__ import annotations

import time
from typing import Dict, Optional, Tuple


class MemoryStore:
    def __init__(self) -> None:
        self._data: Dict[str, Tuple[str, float]] = {}

    def _live(self, key: str) -> Optional[str]:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item[0]

    async def get(self, key: str) -> Optional[str]:
        return self._live(key)

    async def set(self, key: str, value: str, ttl: float, only_if_absent: bool = False) -> bool:
        """Store the value; with only_if_absent, only when the key is free (then True)."""
        if only_if_absent and self._live(key) is not None:
            return False
        if len(self._data) > 100_000:  # drop expired keys now and then so the dict cannot grow forever
            now = time.monotonic()
            self._data = {k: v for k, v in self._data.items() if v[1] > now}
        self._data[key] = (value, time.monotonic() + ttl)
        return True

    async def delete(self, key: str) -> None:
        self._data.pop(key, None)

    async def incr(self, key: str, ttl: float) -> int:
        """Count up; the count expires ttl seconds after the first increment."""
        current = self._live(key)
        if current is None:
            self._data[key] = ("1", time.monotonic() + ttl)
            return 1
        value = int(current) + 1
        self._data[key] = (str(value), self._data[key][1])
        return value

    async def close(self) -> None:
        pass


class RedisStore:
    def __init__(self, url: str, prefix: str = "wechat:") -> None:
        import redis.asyncio as aioredis  # only needed when REDIS_URL is set

        self._redis = aioredis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)
        self._prefix = prefix

    async def get(self, key: str) -> Optional[str]:
        return await self._redis.get(self._prefix + key)

    async def set(self, key: str, value: str, ttl: float, only_if_absent: bool = False) -> bool:
        return bool(await self._redis.set(self._prefix + key, value, px=max(1, int(ttl * 1000)), nx=only_if_absent))

    async def delete(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)

    async def incr(self, key: str, ttl: float) -> int:
        value = int(await self._redis.incr(self._prefix + key))
        if value == 1:  # the first increment opens the window
            await self._redis.pexpire(self._prefix + key, max(1, int(ttl * 1000)))
        return value

    async def close(self) -> None:
        await self._redis.close()


def make_store(redis_url: Optional[str]):
    return RedisStore(redis_url) if redis_url else MemoryStore()
