"""The SQL tracker store, with personal numbers masked before anything is written.

Channels hand Rasa the text exactly as typed; this store masks ID-card and mobile numbers in every
string of every event (the message, its parse data, its metadata) on the way to the database, so
conversations are never stored unredacted — whatever channel they came through.
"""
from __future__ import annotations

from typing import Any, Iterator

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


class RedactingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session: Any, tracker: Any) -> Iterator:
        return (_RedactedEvent(event) for event in super()._additional_events(session, tracker))


__all__ = ["RedactingSQLTrackerStore", "redact_all"]
