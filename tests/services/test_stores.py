"""The production stores against the real PostgreSQL and Redis, configured exactly as bot/endpoints.yml
configures them: conversations shared by replicas with nothing lost, duplicated, reordered or stored
unredacted; conversation locks shared by replicas."""
from __future__ import annotations

import asyncio
import uuid

import sqlalchemy as sa
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import settings
from bot.lock_store import ConfiguredLockStore
from bot.tracker_store import RedactingSQLTrackerStore

ID_NUMBER, PHONE = "150203199001011234", "13812345678"
DOMAIN = Domain.from_dict({"slots": {"facts": {"type": "any", "mappings": [{"type": "custom"}]}}})


def endpoints_with(monkeypatch, database_url: str, redis_url: str) -> AvailableEndpoints:
    monkeypatch.setenv("ACTION_SERVER_URL", "http://127.0.0.1:1/webhook")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", redis_url)
    return AvailableEndpoints.read_endpoints(str(settings.ROOT / "bot" / "endpoints.yml"))


def replica_stores(monkeypatch, database_url: str, redis_url: str):
    """A tracker store and a lock store as one Rasa replica builds them from bot/endpoints.yml."""
    endpoints = endpoints_with(monkeypatch, database_url, redis_url)
    return TrackerStore.create(endpoints.tracker_store, domain=DOMAIN), LockStore.create(endpoints.lock_store)


def turn(text: str, reply: str, facts: dict) -> list:
    return [UserUttered(text, intent={"name": "inform", "confidence": 0.9}), ActionExecuted("action_respond"),
            BotUttered(reply), SlotSet("facts", facts), ActionExecuted("action_listen")]


def test_endpoints_file_builds_our_stores(monkeypatch, postgres_url, redis_url):
    tracker_store, lock_store = replica_stores(monkeypatch, postgres_url, redis_url)
    assert isinstance(getattr(tracker_store, "_tracker_store", tracker_store), RedactingSQLTrackerStore)
    assert isinstance(lock_store, ConfiguredLockStore) and lock_store.shared


def test_without_redis_locks_stay_in_memory(monkeypatch, tmp_path):
    _, lock_store = replica_stores(monkeypatch, f"sqlite:///{tmp_path / 'trackers.db'}", "")
    assert isinstance(lock_store.store, InMemoryLockStore) and not lock_store.shared


def test_two_replicas_share_conversations_in_order_and_redacted(monkeypatch, postgres_url, redis_url):
    first, _ = replica_stores(monkeypatch, postgres_url, redis_url)
    second, _ = replica_stores(monkeypatch, postgres_url, redis_url)
    sender = f"stores-{uuid.uuid4().hex[:12]}"

    async def conversation():
        expected = [ActionExecuted("action_listen")]
        for number, store in enumerate([first, second, first, second, first]):
            tracker = await store.retrieve(sender)
            if number == 0:
                assert tracker is None
                tracker = DialogueStateTracker(sender, DOMAIN.slots)
                tracker.update(expected[0])
            else:  # this replica sees everything the other one wrote, in order
                assert [type(e).__name__ for e in tracker.events] == [type(e).__name__ for e in expected]
            events = turn(f"第{number}句 我的身份证号是{ID_NUMBER}，电话{PHONE}", f"答复{number}", {"turn": number})
            for event in events:
                tracker.update(event)
            expected += events
            await store.save(tracker)
        return await second.retrieve(sender), expected

    tracker, expected = asyncio.run(conversation())
    assert [type(e).__name__ for e in tracker.events] == [type(e).__name__ for e in expected]
    assert [e.text for e in tracker.events if isinstance(e, BotUttered)] == [f"答复{n}" for n in range(5)]
    users = [e.text for e in tracker.events if isinstance(e, UserUttered)]
    assert [u.split(" ")[0] for u in users] == [f"第{n}句" for n in range(5)]
    assert all(ID_NUMBER not in u and PHONE not in u and "1234" in u and "5678" in u for u in users)
    assert tracker.get_slot("facts") == {"turn": 4}

    engine = sa.create_engine(postgres_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("select data from events where sender_id = :s order by id"),
                                  {"s": sender}).fetchall()
        connection.execute(sa.text("delete from events where sender_id = :s"), {"s": sender})
    engine.dispose()
    stored = " ".join(row[0] for row in rows)
    assert len(rows) == len(expected), "every event stored exactly once"
    assert ID_NUMBER not in stored and PHONE not in stored


def test_replicas_share_conversation_locks(monkeypatch, postgres_url, redis_url):
    _, first = replica_stores(monkeypatch, postgres_url, redis_url)
    _, second = replica_stores(monkeypatch, postgres_url, redis_url)
    conversation = f"locks-{uuid.uuid4().hex[:12]}"
    order = []

    async def hold(store, name, delay):
        await asyncio.sleep(delay)
        async with store.lock(conversation, lock_lifetime=10, wait_time_in_seconds=0.05):
            order.append(f"{name} in")
            await asyncio.sleep(0.3)
            order.append(f"{name} out")

    async def both():
        await asyncio.gather(hold(first, "first", 0), hold(second, "second", 0.05))

    asyncio.run(both())
    assert order == ["first in", "first out", "second in", "second out"]
    assert first.get_lock(conversation) is None and second.get_lock(conversation) is None
