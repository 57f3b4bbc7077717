"""Reading the conversation: the evaluation date, the latest message, and the collected facts."""
from __future__ import annotations

import os
from datetime import date
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Tracker


from policies_kb.engine import facts_read
from policies_kb.facts import FactError, implied

from . import resolution

AS_OF_ENV = "POLICYBOT_AS_OF"


def _parse_day(value: Any) -> Optional[date]:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def message_as_of(tracker: Tracker) -> Optional[date]:
    """The date a channel asked for in the message metadata: {"metadata": {"as_of": "2022-09-01"}}."""
    metadata = tracker.latest_message.get("metadata") or {}
    return _parse_day(metadata.get("as_of")) if isinstance(metadata, dict) else None


def as_of(tracker: Tracker) -> date:
    """The date answers are given for: this message's metadata, else the conversation's, else the
    server-wide POLICYBOT_AS_OF, else today."""
    return (message_as_of(tracker) or _parse_day(tracker.get_slot("as_of"))
            or _parse_day(os.environ.get(AS_OF_ENV)) or date.today())


def text(tracker: Tracker) -> str:
    return (tracker.latest_message.get("text") or "").strip()


def intent_ranking(tracker: Tracker) -> List[Dict[str, Any]]:
    return resolution.intent_ranking(tracker.latest_message)


def intent(tracker: Tracker) -> Tuple[Optional[str], float]:
    """The latest message's intent name and confidence."""
    parsed = tracker.latest_message.get("intent") or {}
    return parsed.get("name"), float(parsed.get("confidence") or 0)


def entity_values(tracker: Tracker, name: str) -> List[str]:
    return resolution.entity_values(tracker.latest_message, name)


def facts(tracker: Tracker) -> Dict[str, Any]:
    """The facts collected so far, with what they imply (a 小型企业 is an enterprise; who is asking)."""
    return implied(tracker.get_slot("facts") or {})


def answered(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot("answered_facts") or [])


def skipped(tracker: Tracker) -> List[str]:
    return list(tracker.get_slot("skipped_facts") or [])


def aspect(tracker: Tracker) -> Optional[str]:
    return resolution.asked_aspect(tracker.latest_message)


def mentioned_facts(tracker: Tracker, after: int = 0) -> Dict[str, Any]:
    return resolution.mentioned_facts(tracker.latest_message, after)


def stated_facts(tracker: Tracker, measure: Optional[str], known: Optional[Dict[str, Any]] = None,
                 correcting: bool = False) -> Dict[str, Any]:
    """Facts the latest message states for `measure`'s rule; `correcting`: the facts already given first."""
    prefer = answered(tracker) if correcting else ()
    return resolution.stated_facts(tracker.latest_message, measure, known, as_of(tracker), prefer)


def remembered_facts(tracker: Tracker, measure: str, known: Dict[str, Any]) -> Dict[str, Any]:
    """Facts stated earlier in the conversation that no check took then, as `measure`'s rule reads them: "一共五个人"
    said in a check of the rate cut is the insured headcount when the conversation moves on to 稳岗返还. The
    latest statement of a fact wins; what is known (answered, corrected) wins over all of them."""
    mentions = []
    for event in reversed(tracker.events[:-1] if tracker.events else []):
        if event.get("event") == "user":
            mentions += [e for e in (event.get("parse_data") or {}).get("entities") or []
                         if e.get("entity") == "stated_fact"]
    if not mentions:
        return {}
    found = resolution.resolve_stated(mentions, rule_reads(measure, known))
    return {key: value for key, value in found.items() if key not in known}


def learned_answer(tracker: Tracker, key: str) -> Any:
    """What the learned fact reader says the latest message says of fact `key` (None: nothing)."""
    return next((e.get("value") for e in tracker.latest_message.get("entities") or []
                 if e.get("entity") == "learned_answer" and e.get("role") == key), None)


def unambiguous_facts(tracker: Tracker) -> Dict[str, Any]:
    return resolution.unambiguous_facts(tracker.latest_message, as_of(tracker))


def rule_reads(measure: str, known: Dict[str, Any], *told: Dict[str, Any]) -> List[str]:
    """The facts the measure's rule reads once what the message tells is added to what is known: a fact
    told now can open a question ("大型企业" makes the unit an enterprise, whose size the rule then reads).
    Falls back to the known facts alone when a told value is not one the engine takes."""
    merged: Dict[str, Any] = dict(known)
    for facts_told in told:
        merged.update(facts_told)
    try:
        return facts_read(measure, implied(merged))
    except FactError:
        return facts_read(measure, known)
