"""The per-turn shortcuts of the Rasa server compute what Rasa computes: the cached event-class lookup
(bot/event_lookup.py) and the action call with the current turn's events (bot/action_payload.py)."""
from __future__ import annotations

import pytest
import rasa.shared.utils.common
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (ActionExecuted, ActiveLoop, BotUttered, Event, SessionStarted, SlotSet,
                                     UserUttered)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker

from bot import action_payload, event_lookup

DOMAIN = Domain.from_dict({
    "intents": ["inform"],
    "slots": {"facts": {"type": "any", "mappings": [{"type": "custom"}]},
              "fact_answer": {"type": "any", "mappings": [{"type": "custom"}]},
              "requested_slot": {"type": "any", "mappings": [{"type": "custom"}]}},
    "actions": ["action_respond", "validate_checkup_form"],
    "forms": {"checkup_form": {"required_slots": ["fact_answer"]}},
})


@pytest.fixture
def cached_lookup():
    event_lookup.install()
    yield
    event_lookup.uninstall()


def test_every_event_type_resolves_to_rasas_class(cached_lookup):
    names = {cls.type_name for cls in rasa.shared.utils.common.all_subclasses(Event)}
    assert len(names) > 15
    for name in names:
        assert event_lookup.resolve_by_type(name) is event_lookup._rasa_resolve_by_type(name)
        assert Event.resolve_by_type(name) is event_lookup._rasa_resolve_by_type(name)  # cached now
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no_such_event", default=SlotSet) is SlotSet
    with pytest.raises(ValueError):
        Event.resolve_by_type("no_such_event")


def conversation(turns: int) -> DialogueStateTracker:
    tracker = DialogueStateTracker("payload-test", DOMAIN.slots)
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted(),
                                ActionExecuted("action_listen")], DOMAIN)
    for number in range(turns):
        tracker.update_with_events([
            UserUttered(f"第{number}句", intent={"name": "inform", "confidence": 0.9}),
            ActionExecuted("action_respond"), BotUttered(f"答复{number}"), SlotSet("facts", {"n": number}),
            ActionExecuted("action_listen")], DOMAIN)
    # a form turn: the user's answer, the form, and the slot candidate the form validates
    tracker.update_with_events([UserUttered("三个", intent={"name": "inform", "confidence": 0.9}),
                                ActiveLoop("checkup_form"), SlotSet("requested_slot", "fact_answer"),
                                SlotSet("fact_answer", "三个")], DOMAIN)
    return tracker


def test_the_action_call_is_rasas_with_the_current_turns_events():
    tracker = conversation(12)
    action = RemoteAction("validate_checkup_form", EndpointConfig("http://127.0.0.1:1/webhook"))
    ours = action_payload.action_call_format(action, tracker, DOMAIN)
    rasa = action_payload._rasa_action_call_format(action, tracker, DOMAIN)
    assert {k: v for k, v in ours.items() if k != "tracker"} == {k: v for k, v in rasa.items() if k != "tracker"}
    assert {k: v for k, v in ours["tracker"].items() if k != "events"} == \
        {k: v for k, v in rasa["tracker"].items() if k != "events"}
    assert ours["tracker"]["events"] == rasa["tracker"]["events"][-9:]  # from the previous user message on
    assert len(rasa["tracker"]["events"]) == 3 + 12 * 5 + 4

    full, trimmed = Tracker.from_dict(rasa["tracker"]), Tracker.from_dict(ours["tracker"])
    # what the action server's SDK reads from the events is the same
    assert trimmed.slots_to_validate() == full.slots_to_validate() == {"requested_slot": "fact_answer",
                                                                       "fact_answer": "三个"}
    assert trimmed.get_latest_input_channel() == full.get_latest_input_channel()
    assert trimmed.latest_message == full.latest_message and trimmed.slots == full.slots
    assert trimmed.active_loop == full.active_loop


def test_before_any_user_message_every_event_is_sent():
    tracker = DialogueStateTracker("payload-test", DOMAIN.slots)
    tracker.update_with_events([ActionExecuted("action_session_start"), SessionStarted()], DOMAIN)
    assert action_payload.current_turn_events(tracker) == list(tracker.events)


def test_installed_for_every_remote_action():
    action_payload.install()
    try:
        assert RemoteAction._action_call_format is action_payload.action_call_format
    finally:
        action_payload.uninstall()
    assert RemoteAction._action_call_format is action_payload._rasa_action_call_format


# --- no-op slot events dropped from action responses (bot/slot_events.py) ---

from bot.slot_events import trim_response, without_noop_slot_events  # noqa: E402


def slot(name, value):
    return {"event": "slot", "name": name, "value": value, "timestamp": None}


def state_after(events, slots):
    """The slots Rasa would hold after applying the events (through Rasa's own tracker)."""
    tracker = DialogueStateTracker.from_events("s", [SlotSet(k, v) for k, v in slots.items()], DOMAIN.slots)
    tracker.update_with_events([Event.from_parameters(event) for event in events], DOMAIN)
    return tracker.current_slot_values()


@pytest.mark.parametrize("events", [
    [slot("facts", {"a": 1}), slot("fact_answer", None)],                     # both unchanged
    [slot("facts", {"a": 2}), slot("facts", {"a": 1})],                       # changed, then back
    [slot("fact_answer", "x"), slot("fact_answer", "x"), slot("facts", {})],  # set, then the same again
    [slot("requested_slot", None), {"event": "followup", "name": "checkup_form", "timestamp": None}],
])
def test_dropping_noop_slot_events_leaves_the_same_state(events):
    slots = {"facts": {"a": 1}, "fact_answer": None, "requested_slot": None}
    kept = without_noop_slot_events(events, slots)
    assert state_after(kept, slots) == state_after(events, slots)
    assert all(not (e["event"] == "slot" and e["value"] == state_after(kept[:i], slots).get(e["name"]))
               for i, e in enumerate(kept))
    assert [e for e in events if e["event"] != "slot"] == [e for e in kept if e["event"] != "slot"]


def test_unchanged_slots_are_dropped_and_changes_kept():
    slots = {"facts": {"a": 1}, "fact_answer": None}
    events = [slot("facts", {"a": 1}), slot("fact_answer", None), slot("fact_answer", "三个")]
    assert without_noop_slot_events(events, slots) == [slot("fact_answer", "三个")]


def test_a_reset_keeps_everything_after_it():
    slots = {"facts": {"a": 1}}
    events = [slot("facts", {"a": 1}), {"event": "restart", "timestamp": None}, slot("facts", {"a": 1})]
    assert without_noop_slot_events(events, slots) == events[1:]


def test_validation_responses_and_odd_responses_pass_untouched():
    slots = {"fact_answer": "三个"}
    response = {"events": [slot("fact_answer", "三个")], "responses": []}
    assert trim_response("validate_checkup_form", response, slots) == response
    assert trim_response("action_respond", response, slots) == {"events": [], "responses": []}
    assert trim_response("action_respond", None, slots) is None
    assert trim_response("action_respond", {"responses": []}, slots) == {"responses": []}
