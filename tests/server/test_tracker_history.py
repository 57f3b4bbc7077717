"""bot/tracker_history.py continues a conversation's applied events and past states from the previous
call; it must give Rasa's results exactly, whatever the history: growing turn by turn as the tracker
store hands it over, branching, rewound, restarted, with forms starting and stopping."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted, ActionExecutionRejected, ActionReverted, ActiveLoop, BotUttered, Event, FollowupAction,
    LoopInterrupted, Restarted, SessionStarted, SlotSet, UserUttered, UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_history

ROOT = Path(__file__).resolve().parents[2]
DOMAIN = Domain.load(str(ROOT / "bot" / "domain"))
FORMS = list(DOMAIN.form_names)
INTENTS = list(DOMAIN.intents)
ACTIONS = ["action_respond", "action_listen", *FORMS, *[a for a in DOMAIN.action_names_or_texts
                                                        if a.startswith("utter_")][:5]]
SLOTS = [slot.name for slot in DOMAIN.slots]


def random_event(rng: random.Random):
    roll = rng.random()
    if roll < 0.25:
        return UserUttered(rng.choice(["你好", "失业金怎么领", "三十个人"]),
                           intent={"name": rng.choice(INTENTS), "confidence": 0.9},
                           entities=rng.choice([[], [{"entity": "measure", "value": "x", "start": 0, "end": 1}]]))
    if roll < 0.55:
        return ActionExecuted(rng.choice(ACTIONS))
    if roll < 0.75:
        return SlotSet(rng.choice(SLOTS), rng.choice([None, "a", 3, True, {"k": 1}, ["x"]]))
    if roll < 0.85:
        return ActiveLoop(rng.choice(FORMS + [None]))
    if roll < 0.90:
        return BotUttered("好的")
    return rng.choice([Restarted(), SessionStarted(), ActionReverted(), UserUtteranceReverted(),
                       FollowupAction("action_respond"), LoopInterrupted(True),
                       ActionExecutionRejected(rng.choice(FORMS))])


RASA_APPLIED_EVENTS = tracker_history._rasa_applied_events


def rasa_results(tracker: DialogueStateTracker, omit: bool):
    return (RASA_APPLIED_EVENTS(tracker),
            tracker_history._rasa_past_states(tracker, DOMAIN, omit_unset_slots=omit))


@pytest.fixture
def installed():
    tracker_history.install()
    yield
    tracker_history.uninstall()


@pytest.mark.parametrize("seed", range(12))
def test_same_applied_events_and_states_as_rasa_turn_by_turn(installed, seed):
    rng = random.Random(seed)
    sender = f"conversation-{seed}"
    history = [random_event(rng) for _ in range(rng.randint(60, 160))]
    k = 0
    while k < len(history):
        k += rng.randint(1, 9)
        if rng.random() < 0.15:  # another branch of the same conversation (same objects up to a point)
            events = history[:rng.randint(0, k)] + [random_event(rng) for _ in range(rng.randint(1, 5))]
        else:
            events = history[:k]
        tracker = DialogueStateTracker.from_events(sender, events, DOMAIN.slots)
        omit = rng.random() < 0.3
        expected_applied, expected_states = rasa_results(tracker, omit)
        for _ in range(2):  # a second call in the same turn is answered from what was carried
            assert tracker.applied_events() == expected_applied
            states = tracker.past_states(DOMAIN, omit_unset_slots=omit)
            assert states == expected_states
            for state in states:  # featurizers edit what they get: that must not reach the next call
                state.clear()


def turn(rng: random.Random, form: str):
    """One turn as our bot logs it: listen, the message, the answer with its slots, maybe a form."""
    events = [ActionExecuted("action_listen"), UserUttered("问", {"name": rng.choice(INTENTS), "confidence": 1.0}),
              ActionExecuted("action_respond"), BotUttered("答"), SlotSet(rng.choice(SLOTS), rng.random())]
    if rng.random() < 0.3:
        events += [ActionExecuted(form), ActiveLoop(rng.choice([form, None]))]
    return events


def test_a_conversation_is_carried_forward_not_replayed(installed, monkeypatch):
    """As the tracker store hands over each turn: the same event objects plus the new turn."""
    recomputed = []
    monkeypatch.setattr(tracker_history, "_rasa_applied_events",
                        lambda tracker: recomputed.append(1) or RASA_APPLIED_EVENTS(tracker))
    rng, form = random.Random(7), FORMS[0]
    history = [ActionExecuted("action_session_start"), SessionStarted(), ActiveLoop(form), ActiveLoop(None)]
    for number in range(40):
        new = turn(rng, form)
        if number % 5 == 4:
            new[1] = UserUttered("我的电话是13812345678", new[1].intent)
        tracker = DialogueStateTracker.from_events("carried", history + new, DOMAIN.slots)
        expected_applied, expected_states = rasa_results(tracker, False)
        assert tracker.applied_events() == expected_applied
        assert tracker.past_states(DOMAIN) == expected_states
        # The tracker store keeps what it wrote as read back, each copy marked with the event it wrote;
        # a number masked on the way to the database leaves the copy unmarked: that history is recomputed.
        stored = [Event.from_parameters(event.as_dict()) for event in new]
        for copy, event in zip(stored, new):
            tracker_history.mark_copy(copy, event)
        if number % 5 == 4:
            stored[1] = UserUttered("我的电话是138****5678", new[1].intent)
        history += stored
        # Rasa folds temporary trackers too (a form's, the slot validation's): a branch never kept.
        temporary = DialogueStateTracker.from_events("carried", history + [SlotSet(SLOTS[0], "试")], DOMAIN.slots)
        assert temporary.applied_events() == RASA_APPLIED_EVENTS(temporary)
        tracker = DialogueStateTracker.from_events("carried", history, DOMAIN.slots)
        expected_applied, expected_states = rasa_results(tracker, False)
        assert tracker.applied_events() == expected_applied
        assert tracker.past_states(DOMAIN) == expected_states
    # The first turn; after each of the 8 masked numbers, the re-read history and its temporary branch.
    assert len(recomputed) == 1 + 2 * 8


def test_a_form_named_for_the_first_time_is_folded_by_rasa(installed):
    first = [ActionExecuted("action_listen"), UserUttered("x", {"name": INTENTS[0]}),
             ActionExecuted(FORMS[0]), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("forms", first, DOMAIN.slots)
    assert tracker.applied_events() == tracker_history._rasa_applied_events(tracker)
    # The form is named by an event only now: Rasa's fold treats the earlier ActionExecuted differently.
    later = first + [ActiveLoop(FORMS[0]), ActionExecuted(FORMS[0]), ActionExecuted("action_listen")]
    tracker = DialogueStateTracker.from_events("forms", later, DOMAIN.slots)
    assert tracker.applied_events() == tracker_history._rasa_applied_events(tracker)


def test_conversations_are_remembered_up_to_the_bound(installed, monkeypatch):
    monkeypatch.setattr(tracker_history, "CONVERSATIONS", 3)
    for number in range(5):
        tracker = DialogueStateTracker.from_events(f"s{number}", [ActionExecuted("action_listen")], DOMAIN.slots)
        tracker.past_states(DOMAIN)
    assert list(tracker_history._applied) == ["s2", "s3", "s4"]
    assert len(tracker_history._states) == 3
