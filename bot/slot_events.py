"""Slot events that change nothing, dropped from an action's response before Rasa applies them.

Our actions answer with the slots of their decision (measure, aspect, clarification, facts …) whether
or not the value changes: a Q&A turn returns about seven `slot` events, half of them setting a slot to
the value it already holds. Rasa stores every event and, on every later turn, replays them all
(`applied_events`, the session-expiry check) and computes a state for every prior turn (RulePolicy's
prediction), so each no-op event makes every later turn of the conversation slower. An event that sets
a slot to the value it holds at that point leaves the tracker's state exactly as it was: dropping it
changes no slot, no prediction and no reply.

Kept untouched: the responses of form validation actions (`validate_*`; Rasa's form reads which slots
the validation returned), and everything after an event that resets slots (restart, session start,
rewind …), where the running state is no longer known here.
"""
from __future__ import annotations

from typing import Any, Dict, List

RESETTING = {"restart", "reset_slots", "session_started", "undo", "rewind", "action_reverted"}


def without_noop_slot_events(events: List[Dict[str, Any]], slots: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The events minus each `slot` event whose value equals the slot's value at that point."""
    state = dict(slots)
    kept: List[Dict[str, Any]] = []
    for index, event in enumerate(events):
        kind = event.get("event") if isinstance(event, dict) else None
        if kind in RESETTING:
            return kept + list(events[index:])
        if kind == "slot" and "name" in event:
            name, value = event["name"], event.get("value")
            if name in state and state[name] == value:
                continue
            state[name] = value
        kept.append(event)
    return kept


def trim_response(action: str, response: Any, slots: Dict[str, Any]) -> Any:
    """An action-server response with its no-op slot events dropped (validation actions untouched)."""
    if action.startswith("validate_") or not isinstance(response, dict):
        return response
    events = response.get("events")
    if not isinstance(events, list) or not isinstance(slots, dict):
        return response
    return {**response, "events": without_noop_slot_events(events, slots)}


__all__ = ["trim_response", "without_noop_slot_events"]
