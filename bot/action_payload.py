"""What the Rasa server sends the action server: the conversation's state and the current turn's events,
not the whole history.

Rasa's `RemoteAction._action_call_format` sends `tracker.current_state(EventVerbosity.ALL)`: every event
of the conversation session. A 40-turn conversation holds about 540 events, 280 KB of JSON, serialised
by Rasa, sent, and parsed by the action server for every action call (a form turn makes two), so a turn
cost grew with the conversation. Our actions read the latest message, the slots and the active form
(`actions/conversation.py`) and, for the hand-off offer, the bot's replies to the message before
(`actions/handoff.py`: a second failed turn in a row), never older history; the SDK's form machinery
reads only the tail (`Tracker.slots_to_validate`: the slot events after the last other event;
`get_latest_input_channel`: the latest user event). So the events sent start at the previous user
message (the last two turns); everything else in the
request (slots, latest_message, active_loop, followup_action, latest_action, paused, the domain rules)
is exactly Rasa's. An action that needs the history must read it from the tracker store.

`install()` is called by the Rasa server entry point (bot/server.py) before the server starts.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

_rasa_action_call_format = RemoteAction._action_call_format


TURNS_SENT = 2  # this turn and the one before (the hand-off offer reads the previous turn's replies)


def current_turn_events(tracker: DialogueStateTracker) -> List[Event]:
    """The events from the previous user message on (all of them when there are fewer user messages)."""
    events = tracker.events
    seen = 0
    for index in range(len(events) - 1, -1, -1):
        if isinstance(events[index], UserUttered):
            seen += 1
            if seen == TURNS_SENT:
                return [events[position] for position in range(index, len(events))]
    return list(events)


def action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain: Any) -> Dict[Text, Any]:
    """Drop-in for RemoteAction._action_call_format with the last two turns' events only."""
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in current_turn_events(tracker)]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
              "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def install() -> None:
    RemoteAction._action_call_format = action_call_format


def uninstall() -> None:
    RemoteAction._action_call_format = _rasa_action_call_format


__all__ = ["action_call_format", "current_turn_events", "install", "uninstall"]
