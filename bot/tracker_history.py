"""A conversation's applied events and past states, carried forward from the previous turn instead of
replayed from the first event on every call.

Rasa recomputes both from the whole conversation several times a turn: `applied_events()` folds every
event (with a backward scan at each form execution), and RulePolicy's `past_states()` replays every
applied event into a fresh tracker and builds the state before each action. Both grow with the
conversation: at turn 40 (about 500 events) they cost some 2 ms and 3 ms a call, and made turn 40
about half again as slow as turn 1.

Both are left folds over the event list, so the result for a longer list continues the result for
its beginning. The tracker store hands each turn's tracker the same event objects it held the turn
before (bot/tracker_store.py keeps recent conversations in memory; the last turn's events as read back
from the database, equal copies), so for each conversation the last fold is remembered with the event
objects it read, and a later call whose events begin with those objects (the same objects; equal ones
only among the last few) continues it with the new events only. Anything else
— another conversation, a tracker rebuilt from the database, a rewound or branched history, a form
name first seen in a new event (Rasa's fold reads the names of all forms in the list), another domain
— is computed by Rasa's own code and remembered from there. The states are returned as fresh
dictionaries, because featurizers edit the states they are given.

The results are Rasa's exactly (tests/server/test_tracker_history.py compares them on random
histories with reverts, restarts and forms). Only the serving process installs this (bot/server.py);
training uses Rasa's code unchanged.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from itertools import islice
from typing import Any, Dict, List, Optional, Sequence, Set, Tuple

from rasa.shared.core.events import (
    ActionExecuted, ActionReverted, ActiveLoop, Event, Restarted, SessionStarted, UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

CONVERSATIONS = 500   # remembered at a time, least recently used first out (about 25 KB for 10 turns)
RE_READ_TAIL = 64     # events at the end compared by equality (a turn logs about 13)

_rasa_applied_events = DialogueStateTracker.applied_events
_rasa_past_states = DialogueStateTracker.past_states


def _begins_with(events: Sequence[Event], prefix: Sequence[Event]) -> bool:
    """Whether `events` starts with the events of `prefix`: the same objects, except that the last few
    may be equal copies (the tracker store keeps the last turn's events as read back from the
    database, redacted; an event with a masked number is not equal, so that history is recomputed)."""
    if len(events) < len(prefix):
        return False
    for index, (event, seen) in enumerate(zip(events, prefix)):
        if event is not seen:
            break
    else:
        return True
    return len(prefix) - index <= RE_READ_TAIL and all(
        event == seen for event, seen in zip(islice(events, index, None), prefix[index:]))


def _same_objects(events: Sequence[Event], read: Sequence[Event], items: List[Event]) -> List[Event]:
    """`items` (events among `read`) as the corresponding objects of `events`."""
    current = {id(seen): event for seen, event in zip(read, events) if seen is not event}
    return [current.get(id(item), item) for item in items] if current else items


def _loop_names(events: Sequence[Event]) -> Set[str]:
    return {event.name for event in events if isinstance(event, ActiveLoop) and event.name}


def _fold(tracker: DialogueStateTracker, applied: List[Event], events: Sequence[Event],
          loop_names: Set[str]) -> List[Event]:
    """The loop body of Rasa 3.6's DialogueStateTracker.applied_events, continued from `applied`."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied = []
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (isinstance(event, ActionExecuted) and event.action_name in loop_names
              and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)
    return applied


class _Remembered(OrderedDict):
    """Least recently used first; at most CONVERSATIONS entries."""

    def recall(self, key: Any) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def remember(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CONVERSATIONS:
            self.popitem(last=False)


@dataclass
class _Applied:
    read: List[Event]       # the tracker's events the fold has read, in order
    loop_names: Set[str]
    applied: List[Event]


@dataclass
class _States:
    domain: Any
    applied: List[Event]    # the applied events replayed so far
    replay: DialogueStateTracker
    states: List[Dict[str, Any]]  # the state before each ActionExecuted among them


_applied = _Remembered()
_states = _Remembered()


def applied_events(self: DialogueStateTracker) -> List[Event]:
    """Drop-in for DialogueStateTracker.applied_events."""
    events = self.events
    known: Optional[_Applied] = _applied.recall(self.sender_id)
    if known is not None and _begins_with(events, known.read):
        new = list(islice(events, len(known.read), None))
        if _loop_names(new) <= known.loop_names:
            applied = _same_objects(events, known.read, known.applied)
            known = _Applied(list(events), known.loop_names, _fold(self, list(applied), new, known.loop_names))
            _applied.remember(self.sender_id, known)
            return list(known.applied)
    applied = _rasa_applied_events(self)
    _applied.remember(self.sender_id, _Applied(list(events), _loop_names(events), list(applied)))
    return applied


def _fresh(state: Dict[str, Any]) -> Dict[str, Any]:
    """A copy a featurizer may edit (a state's sub-states hold strings and tuples only)."""
    return {kind: dict(sub_state) for kind, sub_state in state.items()}


def past_states(self: DialogueStateTracker, domain: Any, omit_unset_slots: bool = False,
                ignore_rule_only_turns: bool = False,
                rule_only_data: Optional[Dict[str, Any]] = None) -> List[Dict[str, Any]]:
    """Drop-in for DialogueStateTracker.past_states (RulePolicy's kind: no rule-only turns hidden)."""
    if ignore_rule_only_turns:
        return _rasa_past_states(self, domain, omit_unset_slots, ignore_rule_only_turns, rule_only_data)
    applied = self.applied_events()
    key: Tuple[Any, ...] = (self.sender_id, omit_unset_slots, self.is_rule_tracker, self._max_event_history)
    known: Optional[_States] = _states.recall(key)
    if known is None or known.domain is not domain or not _begins_with(applied, known.applied):
        known = _States(domain, [], self.init_copy(), [])
    for event in applied[len(known.applied):]:  # what generate_all_prior_trackers does, from there on
        if isinstance(event, ActionExecuted):
            known.states.append(domain._clean_state(domain.get_active_state(known.replay, omit_unset_slots)))
        known.replay.update(event)
    known.applied = list(applied)
    _states.remember(key, known)
    final = domain._clean_state(domain.get_active_state(known.replay, omit_unset_slots))
    return [_fresh(state) for state in known.states] + [final]


def forget() -> None:
    _applied.clear()
    _states.clear()


def install() -> None:
    DialogueStateTracker.applied_events = applied_events
    DialogueStateTracker.past_states = past_states


def uninstall() -> None:
    DialogueStateTracker.applied_events = _rasa_applied_events
    DialogueStateTracker.past_states = _rasa_past_states
    forget()


__all__ = ["CONVERSATIONS", "applied_events", "forget", "install", "past_states", "uninstall"]
