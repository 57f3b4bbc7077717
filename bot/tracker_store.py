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
  row id already).
"""
from __future__ import annotations

import itertools
import json
import logging
from typing import Any, Iterator, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.text import redact

logger = logging.getLogger(__name__)

# Set on a tracker this store retrieved: (events loaded, last id stored for the conversation).
STORED = "_policybot_stored"
SENDER_ID_INDEX = "ix_events_sender_id_id"


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

    def as_dict(self) -> dict:
        return redact_all(self._event.as_dict())


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
        """Rasa's retrieval (same query, same order, same tracker), reading two columns instead of rows."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions) \
                .with_entities(self.SQLEvent.id, self.SQLEvent.data).all()
        if not (self.domain and rows):
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for _, data in rows],
                                                 self.domain.slots)
        if not fetch_events_from_all_sessions:
            setattr(tracker, STORED, (len(rows), rows[-1][0]))
        return tracker

    def _last_id(self, session: Any, sender_id: str) -> Optional[int]:
        return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    def _unsaved_events(self, session: Any, tracker: Any) -> Iterator:
        stored = getattr(tracker, STORED, None)
        if stored is not None and stored[0] <= len(tracker.events) and \
                self._last_id(session, tracker.sender_id) == stored[1]:
            return itertools.islice(tracker.events, stored[0], len(tracker.events))
        return super()._additional_events(session, tracker)

    def _additional_events(self, session: Any, tracker: Any) -> Iterator:
        return (_RedactedEvent(event) for event in self._unsaved_events(session, tracker))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        # What this tracker holds is now stored; its new last id is not known here, so a second save of
        # the same object counts as Rasa does.
        if hasattr(tracker, STORED):
            delattr(tracker, STORED)


__all__ = ["RedactingSQLTrackerStore", "redact_all"]
