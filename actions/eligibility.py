"""The eligibility dialogue for one measure: ask what the engine still needs, then explain its verdict.

The engine decides what to ask (CheckResult.missing_facts, in order); the form only asks it, one
question at a time, and skips what the user could not answer.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from policies_kb.engine import check

from . import conversation
from .checkup import next_checkup_fact
from .fact_forms import FactQuestionForm
from .replies import eligibility_reply, question_reply
from .resolution import decide, declares

SWITCHING_ASPECTS = ("overview", "conditions", "amount")


def next_eligibility_fact(tracker: Tracker, facts: Dict[str, Any], skipped: List[str]) -> Optional[str]:
    measure = tracker.get_slot("check_measure")
    if not measure:
        return None
    result = check(measure, facts, conversation.as_of(tracker))
    return next((key for key in result.missing_facts if key not in skipped), None)


class ValidateEligibilityForm(FactQuestionForm):
    def name(self) -> Text:
        return "validate_eligibility_form"

    def next_fact(self, tracker: Tracker, facts: Dict[str, Any], skipped: List[str]) -> Optional[str]:
        return next_eligibility_fact(tracker, facts, skipped)

    def measure_in_view(self, tracker: Tracker) -> Optional[str]:
        return tracker.get_slot("check_measure")

    def switch_to(self, tracker: Tracker) -> Optional[str]:
        """A question about whether another measure applies; a question about how to apply for it (材料, 流程)
        is answered and the check goes on."""
        current = tracker.get_slot("check_measure")
        if declares(tracker.latest_message.get("text") or ""):
            return None  # "我现在正领着失业金呢" answers the question; it does not ask about 失业保险金
        decision = decide(tracker.latest_message, current, None)
        if decision.kind == "answer" and decision.measure != current and decision.aspect in SWITCHING_ASPECTS:
            return decision.measure
        return None


class ActionAskFactAnswer(Action):
    """Asks the next question of whichever fact-collecting form is active."""

    def name(self) -> Text:
        return "action_ask_fact_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        facts = conversation.facts(tracker)
        skipped = conversation.skipped(tracker)
        form = (tracker.active_loop or {}).get("name")
        if form == "checkup_form":
            key = next_checkup_fact(tracker, facts, skipped)
            checking = "checkup"
        else:
            key = next_eligibility_fact(tracker, facts, skipped)
            checking = tracker.get_slot("check_measure")
        if key is None:
            return [SlotSet("pending_fact", None)]
        dispatcher.utter_message(**question_reply(key, checking))
        return [SlotSet("pending_fact", key)]


class ActionEligibilityResult(Action):
    def name(self) -> Text:
        return "action_eligibility_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        measure = tracker.get_slot("check_measure")
        if not measure:
            return []
        result = check(measure, conversation.facts(tracker), conversation.as_of(tracker))
        dispatcher.utter_message(**eligibility_reply(result))
        return [SlotSet("pending_fact", None), SlotSet("last_check", measure), SlotSet("measure", measure)]
