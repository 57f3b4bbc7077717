"""Rasa's check of every action-server response, at a fraction of its cost and with the same checks.

`RemoteAction._validate_action_result` calls `jsonschema.validate(result, spec)`, which first checks
the *schema* against the JSON-Schema meta-schema and builds a new validator, on every call: about
20 ms for one of our answers, most of a turn's CPU under load. The schema is a constant, so here the
validator is built (and the schema checked) once per action class; each response is then validated
exactly as `jsonschema.validate` does it (all errors, the best match raised) and a failure raises
the same ValidationError with Rasa's own explanation appended.

`install()` is called by the Rasa server entry point (bot/server.py) before the server starts.
"""
from __future__ import annotations

import copy
from typing import Any, Dict, Optional, Text

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_validators: Dict[type, Any] = {}
_rasa_validate = RemoteAction._validate_action_result


def response_validator(action_class: type) -> Any:
    """The validator of `action_class`'s response schema, built and checked on first use."""
    validator = _validators.get(action_class)
    if validator is None:
        schema = action_class.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)
        validator = _validators[action_class] = cls(schema)
    return validator


class EventDispatch:
    """A quicker check with the same verdict, for the shape of Rasa's response schema.

    The schema checks each event against a `oneOf` of about 30 event schemas, each pinning
    `event` to one constant: every event is tried against all of them, and each failed branch builds a
    ValidationError (most of the validation's time). Since the constants differ, at most one branch
    can match an event, so `oneOf` holds exactly when the branch named by the event's `event` holds.
    Here the response is checked without the event items, then each event against the items schema
    without `oneOf` and against its own branch. Built only when the schema has that shape (else None);
    used only to say "valid": anything else goes through the full validator for Rasa's exact error.
    """

    def __init__(self, cls: Any, outer: Dict[str, Any], item_base: Dict[str, Any], branches: Dict[str, Any]):
        self.outer, self.item_base = cls(outer), cls(item_base)
        self.branches = {name: cls(branch) for name, branch in branches.items()}

    @classmethod
    def for_schema(cls_, schema: Dict[str, Any], validator_cls: Any) -> Optional["EventDispatch"]:
        try:
            events = schema["properties"]["events"]
            items = events["items"]
            one_of = items["oneOf"]
            names = [branch["properties"]["event"]["const"] for branch in one_of]
        except (KeyError, TypeError):
            return None
        if len(set(names)) != len(names) or not all(isinstance(name, str) for name in names):
            return None
        outer = copy.deepcopy(schema)
        outer["properties"]["events"] = {key: value for key, value in events.items() if key != "items"}
        item_base = {key: value for key, value in items.items() if key != "oneOf"}
        return cls_(validator_cls, outer, item_base, dict(zip(names, one_of)))

    def is_valid(self, result: Any) -> bool:
        if not self.outer.is_valid(result):
            return False
        events = result.get("events") if isinstance(result, dict) else None
        for event in events if isinstance(events, list) else ():
            if not self.item_base.is_valid(event):
                return False
            branch = self.branches.get(event["event"])  # a string: item_base requires it
            if branch is None or not branch.is_valid(event):
                return False
        return True


_dispatches: Dict[type, Optional[EventDispatch]] = {}


def quick_check(action_class: type) -> Optional[EventDispatch]:
    if action_class not in _dispatches:
        validator = response_validator(action_class)
        _dispatches[action_class] = EventDispatch.for_schema(validator.schema, type(validator))
    return _dispatches[action_class]


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Drop-in for RemoteAction._validate_action_result (same checks, same error)."""
    quick = quick_check(type(self))
    if quick is not None and quick.is_valid(result):
        return True
    error = best_match(response_validator(type(self)).iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install() -> None:
    RemoteAction._validate_action_result = validate_action_result


def uninstall() -> None:
    RemoteAction._validate_action_result = _rasa_validate


__all__ = ["EventDispatch", "ValidationError", "install", "response_validator", "uninstall", "validate_action_result"]
