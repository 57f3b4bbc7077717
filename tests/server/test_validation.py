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
