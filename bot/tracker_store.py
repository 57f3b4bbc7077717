"""The SQL tracker store, with personal numbers masked before anything is written.

Channels hand Rasa the text exactly as typed; this store masks ID-card and mobile numbers in every
string of every event (the message, its parse data, its metadata) on the way to the database, so
conversations are never stored unredacted — whatever channel they came through.

It also makes Rasa's SQLTrackerStore cheaper per turn without changing what is stored or read
(profile under load: the store was about 45% of the Rasa server's CPU, growing with the conversation):
- a retrieval reads only the `id` and `data` columns (Rasa builds an ORM object for every row and
  reads all seven columns), and remembers on the tracker how many events it loaded and the last id;
- a save then appends the tracker's events after those, once one indexed query confirms the
  conversation's last stored id is still the one loaded (Rasa instead counts the session's events with
  a sub-query on every save); when anything else wrote in between, or the tracker did not come from
  this store, it counts exactly as Rasa does. Turns of one conversation are serialised by the lock
  store (Redis with several replicas), so the check is a safeguard, not a race;
- an index on (sender_id, id) serves both queries in PostgreSQL (SQLite's sender_id index holds the
  row id already);
- the events of recently active conversations stay in memory (RecentConversations, bounded by
  CACHED_EVENTS): a retrieval asks the database only for the conversation's last id and, when it is
  the one cached, rebuilds the tracker from the cached events (what `copy()` does in Rasa) instead of
  reading and parsing every row. Any write by another replica or process changes the last id, so the
  events are then read again; the cache never answers for a conversation it did not just read or write.
"""
from __future__ import annotations

import itertools
import json
import logging
from collections import OrderedDict
from typing import Any, Iterator, Optional, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.core.events import Event, SessionStarted, deserialise_events
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_history
from bot.text import redact

logger = logging.getLogger(__name__)

# Set on a tracker this store retrieved: (events loaded, last id stored for the conversation).
STORED = "_policybot_stored"
SENDER_ID_INDEX = "ix_events_sender_id_id"
# About 13 events a turn; 20,000 events are some 500 conversations of 3 turns or 40 of 40 turns, and
# a few tens of MB (a 40-turn conversation is 540 events, 280 KB as JSON).
CACHED_EVENTS = 20_000


class RecentConversations:
    """The events of the latest session of recently active conversations, with the last stored id,
    least recently used dropped first once CACHED_EVENTS are held."""

    def __init__(self, capacity: int = CACHED_EVENTS) -> None:
        self.capacity, self.held = capacity, 0
        self.entries: "OrderedDict[str, Tuple[int, Tuple[Event, ...]]]" = OrderedDict()

    def get(self, sender_id: str) -> Optional[Tuple[int, Tuple[Event, ...]]]:
        entry = self.entries.get(sender_id)
        if entry is not None:
            self.entries.move_to_end(sender_id)
        return entry

    def put(self, sender_id: str, last_id: int, events: Tuple[Event, ...]) -> None:
        self.forget(sender_id)
        if len(events) > self.capacity:
            return
        self.entries[sender_id] = (last_id, events)
        self.held += len(events)
        while self.held > self.capacity:
            _, (_, dropped) = self.entries.popitem(last=False)
            self.held -= len(dropped)

    def forget(self, sender_id: str) -> None:
        entry = self.entries.pop(sender_id, None)
        if entry is not None:
            self.held -= len(entry[1])


def redact_all(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_all(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_all(item) for item in value]
    return value


class _RedactedEvent:
    """Stands in for an event while it is written: same type name, masked dictionary."""

    def __init__(self, event: Any):
        self._event = event
        self.type_name = event.type_name
        self.unmasked = False  # whether the masked dictionary is the event's own (nothing to mask)

    def as_dict(self) -> dict:
        original = self._event.as_dict()
        masked = redact_all(original)
        self.unmasked = masked == original
        return masked


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead log: a commit appends to the log instead of syncing the database file twice;
    readers (tests, other tools) never block the server, and the server waits for a busy lock."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy opens a new SQLite connection per session (NullPool); the server uses the
            # store from its one event-loop thread, so it keeps one connection per thread instead.
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        self.recent = RecentConversations()
        table = self.SQLEvent.__table__
        self._last_id_query = sa.select(table.c.id).where(table.c.sender_id == sa.bindparam("sender_id")) \
            .order_by(table.c.id.desc()).limit(1)
        self._create_sender_index()

    def _create_sender_index(self) -> None:
        if self.engine.dialect.name != "postgresql":
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {SENDER_ID_INDEX} "
                                           f"ON {self.SQLEvent.__tablename__} (sender_id, id)"))
        except sa.exc.SQLAlchemyError as error:  # e.g. two replicas creating it at once: it exists then
            logger.info(f"index {SENDER_ID_INDEX} not created here: {str(error).splitlines()[0]}")

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's retrieval (same query, same order, same tracker), reading two columns instead of rows,
        or only the last id when this process holds the conversation's latest events."""
        if not self.domain:
            return None
        with self.session_scope() as session:
            cached = None if fetch_events_from_all_sessions else self.recent.get(sender_id)
            if cached is not None and self._last_id(session, sender_id) == cached[0]:
                tracker = DialogueStateTracker.from_events(sender_id, list(cached[1]), self.domain.slots)
                setattr(tracker, STORED, (len(cached[1]), cached[0]))
                return tracker
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions) \
                .with_entities(self.SQLEvent.id, self.SQLEvent.data).all()
        if not rows:
            self.recent.forget(sender_id)
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for _, data in rows],
                                                 self.domain.slots)
        if not fetch_events_from_all_sessions:
            setattr(tracker, STORED, (len(rows), rows[-1][0]))
            self.recent.put(sender_id, rows[-1][0], tuple(tracker.events))
        return tracker

    def _last_id(self, session: Any, sender_id: str) -> Optional[int]:
        # ORDER BY id DESC LIMIT 1 walks the (sender_id, id) index from its end in both databases;
        # SQLite's max(id) with a WHERE clause reads every row of the conversation instead.
        return session.execute(self._last_id_query, {"sender_id": sender_id}).scalar()

    def _unsaved_events(self, session: Any, tracker: Any) -> Iterator:
        stored = getattr(tracker, STORED, None)
        if stored is not None and stored[0] <= len(tracker.events) and \
                self._last_id(session, tracker.sender_id) == stored[1]:
            return itertools.islice(tracker.events, stored[0], len(tracker.events))
        if stored is not None:  # something else wrote: Rasa's count decides, and nothing is cached
            delattr(tracker, STORED)
        return super()._additional_events(session, tracker)

    def _additional_events(self, session: Any, tracker: Any) -> Iterator:
        return (_RedactedEvent(event) for event in self._unsaved_events(session, tracker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Rasa's save (the same rows, redacted), inserted in one statement; then the cache holds the
        conversation exactly as stored: the events read from the database plus the new rows read back."""
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED, None)
        try:
            with self.session_scope() as session:
                rows, written = [], []
                for event in self._additional_events(session, tracker):
                    data = event.as_dict()
                    written.append(event)
                    rows.append({"sender_id": tracker.sender_id, "type_name": event.type_name,
                                 "timestamp": data.get("timestamp"),
                                 "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                                 "action_name": data.get("name"), "data": json.dumps(data)})
                if rows:
                    session.execute(self.SQLEvent.__table__.insert(), rows)
                session.commit()
                fast = stored is not None and hasattr(tracker, STORED)
                last_id = self._last_id(session, tracker.sender_id) if fast else None
        except Exception:
            self.recent.forget(tracker.sender_id)
            raise
        if fast:
            delattr(tracker, STORED)  # a second save of the same object counts as Rasa does
        cached = self.recent.get(tracker.sender_id) if fast else None
        if cached is not None and cached[0] == stored[1] and len(cached[1]) == stored[0]:
            new = tuple(deserialise_events([json.loads(row["data"]) for row in rows]))
            for copy, event in zip(new, written):
                if event.unmasked:  # the same event, as read back: carry its history on (bot/tracker_history.py)
                    tracker_history.mark_copy(copy, event._event)
            events = cached[1] + new
            if self._retrieval_would_return(events, stored[0]):
                self.recent.put(tracker.sender_id, last_id, events)
                return
        self.recent.forget(tracker.sender_id)

    @staticmethod
    def _retrieval_would_return(events: Tuple[Event, ...], loaded: int) -> bool:
        """Whether Rasa's retrieval would now read exactly these events: the loaded ones plus the new
        ones, none of which starts a session (Rasa then reads from that session's start, by timestamp),
        and none older than the session start (Rasa selects by timestamp, so a clock behind another
        replica's would hide them)."""
        new = events[loaded:]
        if any(isinstance(event, SessionStarted) for event in new):
            return False
        started = max((event.timestamp for event in events[:loaded] if isinstance(event, SessionStarted)),
                      default=None)
        return started is None or all(event.timestamp >= started for event in new)


__all__ = ["RedactingSQLTrackerStore", "redact_all"]
