"""bot.tracker_store.RedactingSQLTrackerStore reads and writes exactly what Rasa's SQLTrackerStore would,
although it saves without re-counting and answers recent conversations from memory: after every save,
what it retrieves equals what Rasa's own store reads from the same database — redacted, in order, with
other writers' events and new sessions — on SQLite and on the machine's PostgreSQL."""
from __future__ import annotations

import asyncio
import time
import uuid
from typing import List

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import event_lookup
from bot.tracker_store import STORED, RecentConversations, RedactingSQLTrackerStore

DOMAIN = Domain.from_dict({"slots": {"facts": {"type": "any", "mappings": [{"type": "custom"}]}}})
ID_NUMBER = "150203199001011234"


def store_at(url: str) -> RedactingSQLTrackerStore:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return RedactingSQLTrackerStore(domain=DOMAIN, dialect=parsed.get_backend_name(), host=parsed.host,
                                    port=parsed.port, db=parsed.database, username=parsed.username,
                                    password=parsed.password)


def rasa_store_at(url: str) -> SQLTrackerStore:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    return SQLTrackerStore(domain=DOMAIN, dialect=parsed.get_backend_name(), host=parsed.host, port=parsed.port,
                           db=parsed.database, username=parsed.username, password=parsed.password)


def turn(number: int) -> list:
    return [UserUttered(f"第{number}句，身份证{ID_NUMBER}", intent={"name": "inform", "confidence": 0.9}),
            ActionExecuted("action_respond"), BotUttered(f"答复{number}"),
            SlotSet("facts", {"turn": number}), ActionExecuted("action_listen")]


def shape(tracker: DialogueStateTracker) -> List[dict]:
    return [{k: v for k, v in event.as_dict().items()} for event in tracker.events]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'trackers.db'}"
    from tests.services.conftest import reachable_postgres

    return reachable_postgres()


@pytest.fixture(params=[False, True], ids=["rasa-event-lookup", "cached-event-lookup"])
def lookup(request):
    if request.param:
        event_lookup.install()
    yield
    event_lookup.uninstall()


def test_every_retrieval_equals_rasas_own(database_url, lookup):
    ours, other_replica, rasa = store_at(database_url), store_at(database_url), rasa_store_at(database_url)
    sender = f"equiv-{uuid.uuid4().hex[:12]}"

    async def conversation():
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update(ActionExecuted("action_listen"))
        # turns 0-3 on one store (answered from its memory from turn 2 on), 4 on another replica,
        # 5-6 back on the first (which must notice the other's write), then a new session in turn 7
        for number, store in enumerate([ours, ours, ours, ours, other_replica, ours, ours, ours]):
            if number:
                tracker = await store.retrieve(sender)
                assert shape(tracker) == shape(await rasa.retrieve(sender)), number
            if number == 7:
                time.sleep(0.01)
                tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                                            ActionExecuted("action_listen")], DOMAIN)
            tracker.update_with_events(turn(number), DOMAIN)
            await store.save(tracker)
            if number == 7:  # a new session is read from the database next time
                assert ours.recent.get(sender) is None
            for reader in (ours, other_replica):
                assert shape(await reader.retrieve(sender)) == shape(await rasa.retrieve(sender)), number
        return await ours.retrieve(sender)

    last = asyncio.run(conversation())
    texts = [event.text for event in last.events if isinstance(event, UserUttered)]
    assert texts == ["第7句，身份证150203********1234"]  # the new session only, redacted as stored


def test_saving_twice_adds_nothing_twice(database_url):
    store, rasa = store_at(database_url), rasa_store_at(database_url)
    sender = f"twice-{uuid.uuid4().hex[:12]}"

    async def run():
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update_with_events(turn(0), DOMAIN)
        await store.save(tracker)
        tracker = await store.retrieve(sender)
        assert hasattr(tracker, STORED)
        tracker.update_with_events(turn(1), DOMAIN)
        await store.save(tracker)
        await store.save(tracker)  # counted as Rasa does: nothing new
        return await rasa.retrieve(sender)

    assert len(asyncio.run(run()).events) == 10


def test_the_cache_is_bounded_by_events():
    recent = RecentConversations(capacity=10)
    recent.put("a", 1, tuple(range(6)))
    recent.put("b", 2, tuple(range(3)))
    assert recent.get("a") is not None  # now the most recent
    recent.put("c", 3, tuple(range(4)))
    assert recent.get("b") is None and recent.get("a") and recent.get("c") and recent.held == 10
    recent.put("d", 4, tuple(range(11)))  # larger than the whole cache: not kept
    assert recent.get("d") is None and recent.held == 10


def test_copies_read_back_are_marked_with_the_events_written_unless_masked(tmp_path):
    """bot/tracker_history.py carries a conversation's history on through the store's cached copies:
    each copy whose stored form is the event's own points to it; a masked one (an ID number) does not."""
    from bot.tracker_history import COPY_OF

    store = store_at(f"sqlite:///{tmp_path / 'trackers.db'}")
    sender = f"marks-{uuid.uuid4().hex[:12]}"

    async def run():
        tracker = DialogueStateTracker(sender, DOMAIN.slots)
        tracker.update_with_events(turn(0), DOMAIN)
        await store.save(tracker)
        tracker = await store.retrieve(sender)  # from the database: the cache starts here
        live = turn(1)
        tracker.update_with_events(live, DOMAIN)
        await store.save(tracker)
        return live, store.recent.get(sender)[1][-len(live):]

    live, cached = asyncio.run(run())
    assert [getattr(copy, COPY_OF, None) is event for copy, event in zip(cached, live)] == [
        False, True, True, True, True]  # the message carries an ID number, masked on the way in
