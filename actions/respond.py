"""The router: every user message outside a form's question comes here and gets exactly one kind
of reply — an answer about a measure, a clarifying question, a decline, small talk, or the start of
an eligibility check or a 政策体检.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from policies_kb.answers import answer
from policies_kb.engine import check, checkup
from policies_kb.loader import kb
from policies_kb.numbers import find_number

from . import conversation
from .fact_forms import correction_target, describe, is_correction
from .replies import (answer_reply, checkup_reply, clarify_reply, eligibility_reply, ended_note, out_of_scope_reply,
                      unclear_reply, which_measure_reply)
from .resolution import Decision, decide

CHECK_INTRO = "下面我问您几个问题，帮您初步判断是否符合条件（随时可以说“算了”退出）。"
CHECKUP_INTRO = "好的，我来帮您做个政策体检：先问几个简单问题（随时可以说“算了”退出）。"


def _picked_candidate(text: str, named: List[str], candidates: List[str]) -> Optional[str]:
    """The candidate a reply to a clarifying question picks: by name, number ('2', '第二个') or name part."""
    named = [m for m in named if m in candidates]
    if len(named) == 1:
        return named[0]
    if len(text) <= 5:
        number = find_number(text)
        if number and 1 <= number <= len(candidates) and number == int(number):
            return candidates[int(number) - 1]
    names = {m: kb().measure(m).name for m in candidates}
    hits = [m for m, name in names.items()
            if any(name[i:i + 2] in text and not any(name[i:i + 2] in other for o, other in names.items() if o != m)
                   for i in range(len(name) - 1))]
    return hits[0] if len(hits) == 1 else None


def _new_dialogue(facts: Dict[str, Any], form: str) -> List[Dict]:
    """Events that start a question-asking form afresh, keeping what is already known about the user."""
    return [SlotSet("facts", facts), SlotSet("skipped_facts", []), SlotSet("pending_fact", None),
            SlotSet("failed_fact", None), FollowupAction(form)]


class ActionRespond(Action):
    def name(self) -> Text:
        return "action_respond"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        return self.respond(dispatcher, tracker)

    def respond(self, dispatcher: CollectingDispatcher, tracker: Tracker, may_start_dialogue: bool = True) -> List[Dict]:
        """Reply to the latest message; inside a form (may_start_dialogue False) never start another."""
        events: List[Dict] = []
        if conversation.message_as_of(tracker):
            events.append(SlotSet("as_of", conversation.message_as_of(tracker).isoformat()))
        text = conversation.text(tracker)
        intent, _ = conversation.intent(tracker)

        if intent == "choose_measure":
            chosen = conversation.entity_values(tracker, "measure")
            if chosen and kb().find_measure(chosen[0]):
                aspect = conversation.aspect(tracker) or tracker.get_slot("clarify_aspect")
                return events + self._answer(dispatcher, tracker, chosen[0], aspect or "overview")

        candidates = tracker.get_slot("clarify_candidates") or []
        if candidates:
            picked = _picked_candidate(text, conversation.entity_values(tracker, "measure"), candidates)
            if picked:
                aspect = conversation.aspect(tracker) or tracker.get_slot("clarify_aspect")
                return events + self._answer(dispatcher, tracker, picked, aspect or "overview")

        if intent == "inform" and is_correction(text) and tracker.get_slot("last_check"):
            corrected = self._correct(dispatcher, tracker, text, may_start_dialogue)
            if corrected is not None:
                return events + corrected

        decision = decide(tracker.latest_message, tracker.get_slot("measure"), tracker.get_slot("aspect"))
        return events + self._act(decision, dispatcher, tracker, may_start_dialogue)

    def _act(self, decision: Decision, dispatcher: CollectingDispatcher, tracker: Tracker,
             may_start_dialogue: bool) -> List[Dict]:
        if decision.kind == "answer":
            aspect = decision.aspect
            if aspect == "overview" and tracker.get_slot("clarify_aspect") and not tracker.get_slot("measure"):
                aspect = tracker.get_slot("clarify_aspect")
            return self._answer(dispatcher, tracker, decision.measure, aspect, decision.self_check and may_start_dialogue)
        if decision.kind == "clarify":
            topic = next((kb().topics[t] for t in conversation.entity_values(tracker, "topic")), None)
            dispatcher.utter_message(**clarify_reply(decision.candidates, decision.aspect,
                                                     topic.question if topic else None))
            return [SlotSet("clarify_candidates", decision.candidates), SlotSet("clarify_aspect", decision.aspect)]
        if decision.kind == "out_of_scope":
            dispatcher.utter_message(**out_of_scope_reply())
            return [SlotSet("clarify_candidates", None)]
        if decision.kind == "smalltalk":
            dispatcher.utter_message(response=f"utter_{decision.smalltalk}")
            return []
        if decision.kind == "checkup" and may_start_dialogue:
            return self._start_checkup(dispatcher, tracker)
        if decision.kind == "which_measure":
            dispatcher.utter_message(**which_measure_reply(decision.aspect))
            return [SlotSet("clarify_aspect", decision.aspect), SlotSet("clarify_candidates", None)]
        if decision.kind == "acknowledge":
            dispatcher.utter_message(response="utter_anything_else")
            return []
        dispatcher.utter_message(**unclear_reply())
        return []

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, measure: str, aspect: str,
                start_check: bool = False) -> List[Dict]:
        """The answer about one aspect of a measure; with start_check, then the eligibility form."""
        day = conversation.as_of(tracker)
        reply = answer(measure, aspect, day)
        dispatcher.utter_message(**answer_reply(reply))
        events = [SlotSet("measure", measure), SlotSet("aspect", aspect), SlotSet("clarify_candidates", None),
                  SlotSet("clarify_aspect", None)]
        if not start_check:
            return events
        if not reply.in_force:
            dispatcher.utter_message(text=ended_note(day), json_message={"check_skipped": "ended"})
            return events
        dispatcher.utter_message(text=CHECK_INTRO)
        facts = {**conversation.mentioned_facts(tracker), **conversation.facts(tracker)}
        return events + [SlotSet("check_measure", measure), *_new_dialogue(facts, "eligibility_form")]

    def _start_checkup(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict]:
        facts = {**conversation.mentioned_facts(tracker), **conversation.facts(tracker)}
        if {"industry", "enterprise_size", "org_type"} & set(facts):
            facts.setdefault("applicant", "organisation")
        if {"startup_person_category", "certificate_level", "employment_status"} & set(facts):
            facts.setdefault("applicant", "person")
        dispatcher.utter_message(text=CHECKUP_INTRO)
        return [SlotSet("checkup_start", len(conversation.answered(tracker))), SlotSet("clarify_candidates", None),
                *_new_dialogue(facts, "checkup_form")]

    def _correct(self, dispatcher: CollectingDispatcher, tracker: Tracker, text: str,
                 may_start_dialogue: bool) -> Optional[List[Dict]]:
        """'不对，我交了两年' after a result: change that fact and give the result again."""
        target = correction_target(text, conversation.answered(tracker))
        if target is None:
            return None
        key, value = target
        facts = {**conversation.facts(tracker), key: value}
        dispatcher.utter_message(text=f"好的，已更正：{describe(key, value)}。")
        day, last = conversation.as_of(tracker), tracker.get_slot("last_check")
        if last == "checkup":
            dispatcher.utter_message(**checkup_reply(checkup(facts, day)))
            return [SlotSet("facts", facts)]
        result = check(last, facts, day)
        if result.eligible is None and result.in_force and may_start_dialogue:
            # The correction reopened the question: ask what is still needed, then give the verdict.
            return [SlotSet("check_measure", last), *_new_dialogue(facts, "eligibility_form")]
        dispatcher.utter_message(**eligibility_reply(result))
        return [SlotSet("facts", facts)]
