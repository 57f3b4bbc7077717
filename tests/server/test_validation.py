"""The cached validator of action responses performs Rasa's own checks: whatever Rasa accepts it
accepts, whatever Rasa rejects it rejects with the same error."""
from __future__ import annotations

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction

from bot import validation

VALID = [
    {"events": [], "responses": []},
    {},
    {"events": [{"event": "slot", "name": "facts", "value": {"age": 30}, "timestamp": None},
                {"event": "followup", "name": "eligibility_form"},
                {"event": "active_loop", "name": None}],
     "responses": [{"text": "您好", "buttons": [{"title": "是", "payload": "/affirm"}], "custom": {"a": 1}}]},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},           # a SlotSet needs a name
    {"responses": ["text, not an object"]},
    ["not", "an", "object"],
    {"events": [{"event": 5}]},
    {"events": [None]},
    {"events": [{"event": "slot", "name": 3, "value": 1}]},
    {"events": [{"event": "user", "text": "你好", "parse_data": "not an object"}]},
    {"events": [{"event": "bot", "text": "您好", "timestamp": "yesterday"}]},
    {"events": [{"event": "slot", "name": "a", "value": 1}, {"event": "entities"}]},
]


def rasa_result(response):
    validation.uninstall()
    try:
        return RemoteAction("action_respond", None)._validate_action_result(response)
    except ValidationError as error:
        return ("invalid", error.message, list(error.path))


def cached_result(response):
    validation.install()
    try:
        return RemoteAction("action_respond", None)._validate_action_result(response)
    except ValidationError as error:
        return ("invalid", error.message, list(error.path))
    finally:
        validation.uninstall()


@pytest.mark.parametrize("response", VALID + INVALID)
def test_same_verdict_and_error_as_rasa(response):
    assert cached_result(response) == rasa_result(response)


@pytest.mark.parametrize("response", INVALID)
def test_invalid_responses_are_rejected(response):
    verdict = cached_result(response)
    assert verdict[0] == "invalid" and "Failed to validate Action server response" in verdict[1]


def test_the_schema_is_checked_once_per_action_class():
    validation._validators.clear()
    first = validation.response_validator(RemoteAction)
    assert validation.response_validator(RemoteAction) is first


def test_the_quick_check_agrees_with_the_full_validator():
    """bot.validation.EventDispatch says "valid" exactly when the full schema does, on Rasa's schema and
    thousands of generated responses (every event name, right and wrong field types)."""
    import random

    full = validation.response_validator(RemoteAction)
    quick = validation.quick_check(RemoteAction)
    assert quick is not None, "Rasa's response schema no longer has the shape EventDispatch relies on"
    names = list(quick.branches) + ["no_such_event", 5, None]
    values = ["文本", 3, 2.5, None, True, [], {}, [{"entity": "x", "value": 1}], {"text": "t"}]
    fields = ["name", "value", "text", "timestamp", "metadata", "entities", "parse_data", "policy",
              "confidence", "intent", "date_time", "kill_on_user_msg", "action_text", "hide_rule_turn"]
    rng = random.Random(20221231)
    agreed = valid = 0
    for _ in range(3000):
        events = []
        for _ in range(rng.randint(0, 3)):
            event = {"event": rng.choice(names)} if rng.random() > 0.05 else rng.choice(values)
            if isinstance(event, dict):
                for field in rng.sample(fields, rng.randint(0, 4)):
                    event[field] = rng.choice(values)
            events.append(event)
        response = {"events": events, "responses": rng.choice([[], [{"text": "好"}], "x"])}
        expected = full.is_valid(response)
        assert quick.is_valid(response) == expected, response
        agreed += 1
        valid += expected
    assert agreed == 3000 and 100 < valid < 2900  # both verdicts were exercised
