"""The lock store, chosen by one setting: Rasa's Redis lock store at REDIS_URL, or locks in this
process's memory when REDIS_URL is empty (the embedded default: one Rasa process).

Rasa serialises the turns of one conversation with a ticket lock. Several replicas (or Sanic workers)
must share these locks, hence Redis; bot/endpoints.yml names this class so that one file serves both
the embedded default and a scaled-out deployment.
"""
from __future__ import annotations

from typing import Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX, InMemoryLockStore, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

SOCKET_TIMEOUT_SECONDS = 10


class RedisURLLockStore(RedisLockStore):
    """Rasa's RedisLockStore, configured by a URL (redis://[:password@]host:port/db, rediss:// for TLS)."""

    def __init__(self, url: str) -> None:
        import redis

        # RedisLockStore's own __init__ takes host/port/db pieces; the URL form is what deployments pass.
        self.red = redis.StrictRedis.from_url(url, socket_timeout=SOCKET_TIMEOUT_SECONDS,
                                              socket_connect_timeout=SOCKET_TIMEOUT_SECONDS)
        self.key_prefix = DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX
        LockStore.__init__(self)


class ConfiguredLockStore(LockStore):
    """Delegates to Redis when the endpoint has a URL, otherwise to memory."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None) -> None:
        url = (endpoint_config.url if endpoint_config else None) or ""
        self.redis_url = url.strip()
        self.store: LockStore = RedisURLLockStore(self.redis_url) if self.redis_url else InMemoryLockStore()
        super().__init__()

    @property
    def shared(self) -> bool:
        """Whether other processes see these locks (required for more than one Rasa process)."""
        return isinstance(self.store, RedisLockStore)

    def get_lock(self, conversation_id: Text) -> Optional[TicketLock]:
        return self.store.get_lock(conversation_id)

    def delete_lock(self, conversation_id: Text) -> None:
        self.store.delete_lock(conversation_id)

    def save_lock(self, lock: TicketLock) -> None:
        self.store.save_lock(lock)


__all__ = ["ConfiguredLockStore", "RedisURLLockStore"]
