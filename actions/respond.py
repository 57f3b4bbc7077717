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
from policies_kb.engine import check, checkup, facts_read
from policies_kb.loader import kb
from policies_kb.numbers import find_number

from . import conversation
from .fact_forms import correction_target, describe, is_correction, is_what_if
from .replies import (answer_reply, case_reply, checkup_reply, clarify_reply, eligibility_reply, ended_note,
                      out_of_scope_reply, unclear_reply, verdict_change, which_measure_reply)
from .resolution import Decision, decide

# Saying who is asking ("我们公司") prefills the check but does not describe a case to judge.
WHO_ASKS = {"applicant", "org_type"}
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


def _case_facts(tracker: Tracker, measure: str, known: Dict[str, Any]) -> Dict[str, Any]:
    """What the message says about the person's own case that the measure's rule reads: stated numbers
    and yes/no facts, and named values (餐饮, 小型企业) it did not know yet."""
    reads = facts_read(measure, known)
    named = {key: value for key, value in conversation.mentioned_facts(tracker).items()
             if key in reads and key not in known}
    return {**named, **conversation.stated_facts(tracker, measure, known)}


def _stays_on(tracker: Tracker, measure: str) -> bool:
    """Nothing in the message points away from the measure under discussion (another measure, a topic
    that does not include it)."""
    named = conversation.entity_values(tracker, "measure")
    topics = [kb().topics[t] for t in conversation.entity_values(tracker, "topic")]
    return all(m == measure for m in named) and all(measure in t.measures or t.narrows_only for t in topics)


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

        if tracker.get_slot("last_check") and (is_what_if(text) or (intent == "inform" and is_correction(text))):
            corrected = self._correct(dispatcher, tracker, text, may_start_dialogue)
            if corrected is not None:
                return events + corrected

        context = tracker.get_slot("measure")
        if context and may_start_dialogue and _stays_on(tracker, context) \
                and set(_case_facts(tracker, context, conversation.facts(tracker))) - WHO_ASKS:
            # "分公司那边25个人，裁了5个" after an answer: the person's own case for the measure under discussion.
            return events + self._answer(dispatcher, tracker, context, "conditions", start_check=True)

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
            dispatcher.utter_message(**out_of_scope_reply(conversation.entity_values(tracker, "out_of_scope")))
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
        known = conversation.facts(tracker)
        stated = _case_facts(tracker, measure, known) if start_check else {}
        events = [SlotSet("measure", measure), SlotSet("aspect", aspect), SlotSet("clarify_candidates", None),
                  SlotSet("clarify_aspect", None)]
        described = bool(set(stated) - WHO_ASKS)
        if described:
            # The person described their case: judge it instead of reciting the whole rule.
            dispatcher.utter_message(**case_reply(reply, [describe(key, value) for key, value in stated.items()]))
        else:
            dispatcher.utter_message(**answer_reply(reply))
        if not start_check:
            return events
        facts = {**conversation.mentioned_facts(tracker), **known, **stated}
        if not reply.in_force:
            if described:  # what the facts would have given, and that the measure has ended
                dispatcher.utter_message(**eligibility_reply(check(measure, facts, day)))
                return events + [SlotSet("facts", facts), SlotSet("last_check", measure)]
            dispatcher.utter_message(text=ended_note(day), json_message={"check_skipped": "ended"})
            return events
        if not described:
            dispatcher.utter_message(text=CHECK_INTRO)
        answered = conversation.answered(tracker) + [key for key in stated if key not in conversation.answered(tracker)]
        return events + [SlotSet("check_measure", measure), SlotSet("answered_facts", answered),
                         *_new_dialogue(facts, "eligibility_form")]

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
        """'不对，我交了两年' or '如果我是自己辞职的呢' after a result: change those facts, judge again, and
        say how the verdict moved. A fact nobody asked about yet is taken as new information."""
        day, last = conversation.as_of(tracker), tracker.get_slot("last_check")
        before = conversation.facts(tracker)
        changes = conversation.stated_facts(tracker, None if last == "checkup" else last, before)
        if not changes:
            target = correction_target(text, conversation.answered(tracker))
            if target is None:
                return None
            changes = dict([target])
        facts = {**before, **changes}
        changed = "；".join(describe(key, value) for key, value in changes.items())
        answered = conversation.answered(tracker) + [key for key in changes if key not in conversation.answered(tracker)]
        events = [SlotSet("facts", facts), SlotSet("answered_facts", answered)]
        if last == "checkup":
            dispatcher.utter_message(text=f"好的，按“{changed}”重新体检。")
            dispatcher.utter_message(**checkup_reply(checkup(facts, day)))
            return events
        result = check(last, facts, day)
        if result.eligible is None and result.in_force and may_start_dialogue:
            # The change reopened the question: ask what is still needed, then give the verdict.
            dispatcher.utter_message(text=f"好的，已按“{changed}”更新，还需要再确认几项。")
            return events[1:] + [SlotSet("check_measure", last), *_new_dialogue(facts, "eligibility_form")]
        previous = check(last, before, day).status
        dispatcher.utter_message(text=f"好的，按“{changed}”重新判断：{verdict_change(previous, result.status)}")
        dispatcher.utter_message(**eligibility_reply(result))
        return events
