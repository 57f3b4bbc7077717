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

from typing import Any, Dict, Text

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


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Drop-in for RemoteAction._validate_action_result (same checks, same error)."""
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


__all__ = ["ValidationError", "install", "response_validator", "uninstall", "validate_action_result"]
