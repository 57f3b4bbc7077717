"""A conversation's applied events and past states, carried forward from the previous turn instead of
replayed from the first event on every call.

Rasa recomputes both from the whole conversation several times a turn: `applied_events()` folds every
event (with a backward scan at each form execution), and RulePolicy's `past_states()` replays every
applied event into a fresh tracker and builds the state before each action. Both grow with the
conversation: at turn 40 (about 500 events) they cost some 2 ms and 3 ms a call, and made turn 40
about half again as slow as turn 1.

Both are left folds over the event list, so the result for a longer list continues the result for
its beginning. The tracker store hands each turn's tracker the events it held the turn before
(bot/tracker_store.py keeps recent conversations in memory; the last turn's events as read back from
the database, each copy marked with the event it was written from unless a number was masked in it).
So for each conversation the last folds are remembered with the event objects they read, and a later
call whose events begin with those objects (or marked copies of them) continues a fold with the new
events only. Two histories are kept per conversation, because Rasa also folds temporary trackers (a
form's, the slot validation's) whose extra events the conversation never keeps. Anything else —
another conversation, a tracker rebuilt from the database, a rewound history, a form name first seen
in a new event (Rasa's fold reads the names of all forms in the list), another domain — is computed
by Rasa's own code and remembered from there. The states are returned as fresh dictionaries, because
featurizers edit the states they are given.

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

CONVERSATIONS = 100   # remembered at a time, least recently used first out: each holds its events
                      # (about 170 KB for a 10-turn conversation), so this bounds the memory to some 20 MB
COPY_OF = "_policybot_copy_of"
BRANCHES = 2          # histories remembered per conversation: Rasa also folds temporary trackers
                      # (a form's, the slot validation's) that add events the conversation never keeps

_rasa_applied_events = DialogueStateTracker.applied_events
_rasa_past_states = DialogueStateTracker.past_states


def _begins_with(events: Sequence[Event], prefix: Sequence[Event]) -> bool:
    """Whether `events` starts with the events of `prefix`: the same objects, or copies the tracker
    store marked as read back from them (mark_copy)."""
    return len(events) >= len(prefix) and all(
        event is seen or getattr(event, COPY_OF, None) is seen for event, seen in zip(events, prefix))


def mark_copy(copy: Event, original: Event) -> None:
    """The tracker store keeps the events it wrote as read back from the database; when masking changed
    nothing, it marks each copy with the event it wrote, so that a conversation's history carries on
    through the copy (an event with a masked number is not marked: its history is recomputed)."""
    setattr(copy, COPY_OF, original)


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
    """Per key, up to BRANCHES histories, the latest first; keys least recently used are dropped first
    once there are CONVERSATIONS."""

    def branches(self, key: Any) -> List[Any]:
        found = self.get(key)
        if found is None:
            return []
        self.move_to_end(key)
        return found

    def keep(self, key: Any, branch: Any) -> None:
        others = [b for b in self.get(key, []) if b is not branch]
        self[key] = [branch] + others[:BRANCHES - 1]
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
    for known in _applied.branches(self.sender_id):
        if _begins_with(events, known.read):
            new = list(islice(events, len(known.read), None))
            if not _loop_names(new) <= known.loop_names:
                break
            applied = _same_objects(events, known.read, known.applied)
            carried = _Applied(list(events), known.loop_names, _fold(self, list(applied), new, known.loop_names))
            _applied.keep(self.sender_id, carried)  # the history it continued stays a branch
            return list(carried.applied)
    applied = _rasa_applied_events(self)
    _applied.keep(self.sender_id, _Applied(list(events), _loop_names(events), list(applied)))
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
    # A branch is continued in place (copying its replay tracker would cost what it saves): past states
    # are asked of the conversation's own tracker, so a second branch is rare (a rewound history).
    known = next((branch for branch in _states.branches(key)
                  if branch.domain is domain and _begins_with(applied, branch.applied)), None)
    if known is None:
        known = _States(domain, [], self.init_copy(), [])
    for event in applied[len(known.applied):]:  # what generate_all_prior_trackers does, from there on
        if isinstance(event, ActionExecuted):
            known.states.append(domain._clean_state(domain.get_active_state(known.replay, omit_unset_slots)))
        known.replay.update(event)
    known.applied = list(applied)
    _states.keep(key, known)
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


__all__ = ["CONVERSATIONS", "applied_events", "forget", "install", "mark_copy", "past_states", "uninstall"]
