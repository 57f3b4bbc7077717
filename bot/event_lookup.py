"""Rasa's event-class lookup by type name, cached: the same classes, found without walking the class tree.

Every event read back (each row of the tracker store, each event an action returns) goes through
`Event.resolve_by_type(type_name)`, which lists *all* subclasses of `Event` recursively and calls
`inspect.isabstract` on each, every time. Under load that was 15% of the Rasa server's CPU (py-spy,
10 users, 40-turn conversations), most of a tracker retrieval. The classes do not change while the
server runs, so the answer for each name is remembered after the first search; unknown names (and
Rasa's "topic" compatibility case) still go through Rasa's own code, which says what is wrong.

`install()` is called by the Rasa server entry point (bot/server.py) before the server starts.
"""
from __future__ import annotations

from typing import Dict, Optional, Text, Type

import rasa.shared.utils.common
from rasa.shared.core.events import Event

_rasa_resolve_by_type = Event.resolve_by_type
_classes: Dict[Text, Type[Event]] = {}


def resolve_by_type(type_name: Text, default: Optional[Type[Event]] = None) -> Optional[Type[Event]]:
    """Drop-in for Event.resolve_by_type: the first concrete subclass with this type name, as Rasa's."""
    found = _classes.get(type_name)
    if found is not None:
        return found
    for cls in rasa.shared.utils.common.all_subclasses(Event):
        if cls.type_name == type_name:
            _classes[type_name] = cls
            return cls
    return _rasa_resolve_by_type(type_name, default)


def install() -> None:
    Event.resolve_by_type = staticmethod(resolve_by_type)


def uninstall() -> None:
    Event.resolve_by_type = staticmethod(_rasa_resolve_by_type)
    _classes.clear()


__all__ = ["install", "resolve_by_type", "uninstall"]
