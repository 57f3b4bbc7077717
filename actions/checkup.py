"""The 政策体检: a few questions about the asker, then every measure they may qualify for.

Which question next: the fact that the most undecided, still-applicable measures need next — so each
answer settles as many measures as possible — at most MAX_QUESTIONS of them.
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from policies_kb.engine import checkup
from policies_kb.loader import kb

from . import conversation
from .fact_forms import FactQuestionForm
from .replies import checkup_reply

MAX_QUESTIONS = 8


def next_checkup_fact(tracker: Tracker, facts: Dict[str, Any], skipped: List[str]) -> Optional[str]:
    asked = len(conversation.answered(tracker)) - int(tracker.get_slot("checkup_start") or 0) + len(skipped)
    if asked >= MAX_QUESTIONS:
        return None
    if "applicant" not in facts and "applicant" not in skipped and "org_type" not in facts:
        return "applicant"
    report = checkup(facts, conversation.as_of(tracker))
    wanted: Counter = Counter()
    for result in report.group("undetermined"):
        key = next((k for k in result.missing_facts if k not in skipped), None)
        if key:
            wanted[key] += 1
    if not wanted:
        return None
    order = list(kb().facts)
    return max(wanted, key=lambda key: (wanted[key], -order.index(key)))


class ValidateCheckupForm(FactQuestionForm):
    def name(self) -> Text:
        return "validate_checkup_form"

    def next_fact(self, tracker: Tracker, facts: Dict[str, Any], skipped: List[str]) -> Optional[str]:
        return next_checkup_fact(tracker, facts, skipped)


class ActionCheckupResult(Action):
    def name(self) -> Text:
        return "action_checkup_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        report = checkup(conversation.facts(tracker), conversation.as_of(tracker))
        dispatcher.utter_message(**checkup_reply(report))
        return [SlotSet("pending_fact", None), SlotSet("last_check", "checkup")]
