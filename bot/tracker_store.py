"""The SQL tracker store, with personal numbers masked before anything is written.

Channels hand Rasa the text exactly as typed; this store masks ID-card and mobile numbers in every
string of every event (the message, its parse data, its metadata) on the way to the database, so
conversations are never stored unredacted — whatever channel they came through.
"""
from __future__ import annotations

from typing import Any, Iterator

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

from bot.text import redact


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

    def _additional_events(self, session: Any, tracker: Any) -> Iterator:
        return (_RedactedEvent(event) for event in super()._additional_events(session, tracker))


__all__ = ["RedactingSQLTrackerStore", "redact_all"]
