"""The router: every user message outside a form's question comes here and gets exactly one kind
of reply — an answer about a measure, a clarifying question, a decline, small talk, or the start of
an eligibility check or a 政策体检.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.questions import WHERE_TO_APPLY
from bot.referrals import only_in_passing
from policies_kb.answers import answer
from policies_kb.engine import check, checkup, facts_read
from policies_kb.loader import kb
from policies_kb.numbers import find_number

from . import conversation, handoff
from .fact_forms import correction_target, describe, describe_all, is_correction, is_what_if
from .replies import (also_asked_reply, answer_reply, cannot_reply, care_reply, case_reply, checkup_reply, clarify_reply,
                      eligibility_reply, ended_reply, out_of_scope_reply, situation_offer_reply, unclear_reply,
                      verdict_change, which_measure_reply)
from .resolution import (CRISIS, DISTRESS, ELIGIBILITY_QUESTION, WHEN_TO_APPLY, Decision, aspect_guessed, cannot_do,
                         WHO_ASKS, WHY, asks_the_same, decide, declares, is_leaving,
                         narrowed_siblings, situation_measures)

# Saying who is asking ("我们公司", resolution.WHO_ASKS) prefills the check but does not describe a case to judge.
# Aspects a described case is judged for ("我们20人裁了5个，稳岗返还能拿多少"); "要什么材料" is answered as asked.
JUDGED_ASPECTS = {"overview", "conditions", "amount", "deadline"}

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


def _message_facts(tracker: Tracker, measure: str, known: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(named, stated): the values the message names (餐饮, 大型企业) and the facts it states (参保60人), each
    only where the measure's rule reads it — read with what the message itself says, since a fact told now
    can open a question ("大型企业" makes the unit an enterprise, whose size the rule then reads)."""
    stated = conversation.stated_facts(tracker, measure, known)
    named_all = conversation.mentioned_facts(tracker)
    reads = conversation.rule_reads(measure, known, named_all, stated)
    named = {key: value for key, value in named_all.items() if key in reads}
    return named, {key: value for key, value in stated.items() if key in reads}


def _case_facts(tracker: Tracker, measure: str, known: Dict[str, Any]) -> Dict[str, Any]:
    """What the message says about the person's own case that the measure's rule reads: stated numbers
    and yes/no facts, and named values (餐饮, 小型企业) it did not know yet."""
    named, stated = _message_facts(tracker, measure, known)
    return {**{key: value for key, value in named.items() if key not in known}, **stated}


def _stays_on(tracker: Tracker, measure: str) -> bool:
    """Nothing in the message points away from the measure under discussion (another measure, a topic
    that does not include it). A statement's topic words are part of the fact ("单位给交了失业保险")."""
    situation = situation_measures(tracker.latest_message)  # "失业金一天都没领过" states a fact
    elsewhere = conversation.entity_values(tracker, "out_of_scope")
    if elsewhere and not only_in_passing(elsewhere):
        return False  # "那医保单位部分能不能缓着交": the same words, said of a subject outside the notice
    named = [m for m in conversation.entity_values(tracker, "measure") if m not in situation]
    topic_ids = conversation.entity_values(tracker, "topic")
    topics = [kb().topics[t] for t in topic_ids]
    siblings = narrowed_siblings(topic_ids, measure) if topic_ids else []
    if siblings and measure not in siblings and not declares(conversation.text(tracker)):
        return False  # "那养老保险的单位部分也能缓吧" after 工伤保险费缓缴: the sibling measure is asked about
    return all(m == measure for m in named) and (
        declares(conversation.text(tracker)) or all(measure in t.measures or t.narrows_only for t in topics))


def _case_update(tracker: Tracker, measure: str) -> Dict[str, Any]:
    """Facts a follow-up adds to the case under discussion ("分公司那边25个人，裁了5个", "我们基地是企业性质的"):
    the case facts the measure reads, including who is asking when the message only states it; {} when
    the message asks about another aspect ("那被辞退的话钱打到哪") or describes nothing."""
    aspect = conversation.aspect(tracker)
    if aspect and aspect not in ("conditions", "amount") and not declares(conversation.text(tracker)):
        return {}  # a statement's words ("业务基本停了") are not a question about the period
    named, stated = _message_facts(tracker, measure, conversation.facts(tracker))
    found = {**named, **stated}
    # Who is asking alone describes no case, unless said as a statement ("我们基地是企业性质的"); beside the
    # case's facts it is kept ("我个人每个月交失业保险，缴费基数4500": the person's own share).
    return found if set(found) - WHO_ASKS or declares(conversation.text(tracker)) else {}


def _chosen_aspect(tracker: Tracker) -> str:
    """The aspect of a choice after a clarifying question: what the reply asks, else what the question asked
    (a guess of the classifier for a bare choice such as "先说养老的" is not a question)."""
    asked = None if aspect_guessed(tracker.latest_message) else conversation.aspect(tracker)
    return asked or tracker.get_slot("clarify_aspect") or "overview"


def _told_while_unclear(tracker: Tracker, candidates: List[str]) -> Dict[str, Any]:
    """Facts of the case told in a message that names no one measure ("农民工合同到期了有啥补助", "我们是做
    软件的中型企业"): what the candidates' rules would take from it, where they agree, kept so that the
    check after the choice does not ask for them again."""
    known = conversation.facts(tracker)
    taken: Dict[str, Any] = dict(conversation.unambiguous_facts(tracker))
    disagreed = set()
    for measure in candidates:
        for key, value in _case_facts(tracker, measure, known).items():
            if key in taken and taken[key] != value:
                disagreed.add(key)
            taken.setdefault(key, value)
    return {key: value for key, value in taken.items() if key not in disagreed and key not in known}


def _keep(tracker: Tracker, told: Dict[str, Any]) -> List[Dict]:
    """Events adding facts told to what is known, as answered (never asked again)."""
    if not told:
        return []
    return [SlotSet("facts", {**conversation.facts(tracker), **told}),
            SlotSet("answered_facts", _answered_with(tracker, told))]


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
        intent, confidence = conversation.intent(tracker)
        if handoff.ends_handoff(intent, confidence, text):
            return events + handoff.not_in_handoff(dispatcher)

        if intent == "choose_measure":
            chosen = conversation.entity_values(tracker, "measure")
            if chosen and kb().find_measure(chosen[0]):
                return events + self._answer(dispatcher, tracker, chosen[0], _chosen_aspect(tracker), picked=True)

        candidates = tracker.get_slot("clarify_candidates") or []
        if candidates:
            picked = _picked_candidate(text, conversation.entity_values(tracker, "measure"), candidates)
            if picked:
                return events + self._answer(dispatcher, tracker, picked, _chosen_aspect(tracker), picked=True)

        if tracker.get_slot("last_check") and (is_what_if(text) or is_correction(text)):
            corrected = self._correct(dispatcher, tracker, text, may_start_dialogue)
            if corrected is not None:
                return events + corrected

        context = tracker.get_slot("measure")
        if context and may_start_dialogue and _stays_on(tracker, context) and not is_leaving(text):
            changes = _case_update(tracker, context)
            if changes:
                # "分公司那边25个人，裁了5个" after an answer: the person's own case for the measure under discussion.
                return events + self._judge(dispatcher, tracker, context, changes)

        kind = cannot_do(text)
        if kind:
            measure = (conversation.entity_values(tracker, "measure") or [context])[0]
            about = answer(measure, "online_entry", conversation.as_of(tracker)) if measure else None
            dispatcher.utter_message(**cannot_reply(kind, about))
            return events
        decision = decide(tracker.latest_message, tracker.get_slot("measure"), tracker.get_slot("aspect"))
        if DISTRESS.search(text):
            dispatcher.utter_message(**care_reply(bool(CRISIS.search(text))))
            if decision.kind in ("out_of_scope", "unclear") and may_start_dialogue:
                dispatcher.utter_message(**situation_offer_reply())
                return events
        return events + self._act(decision, dispatcher, tracker, may_start_dialogue)

    def _act(self, decision: Decision, dispatcher: CollectingDispatcher, tracker: Tracker,
             may_start_dialogue: bool) -> List[Dict]:
        if decision.kind == "answer":
            aspect = decision.aspect
            if aspect == "overview" and tracker.get_slot("clarify_aspect") and not tracker.get_slot("measure"):
                aspect = tracker.get_slot("clarify_aspect")
            events = self._answer(dispatcher, tracker, decision.measure, aspect,
                                  decision.self_check and may_start_dialogue, may_judge=may_start_dialogue)
            if decision.candidates:
                # Several measures asked one after the other: the first is answered, the rest offered next.
                dispatcher.utter_message(**also_asked_reply(decision.candidates, decision.aspect))
            return events
        if decision.kind == "clarify":
            topic = next((kb().topics[t] for t in conversation.entity_values(tracker, "topic")), None)
            dispatcher.utter_message(**clarify_reply(decision.candidates, decision.aspect,
                                                     topic.question if topic else None))
            return [SlotSet("clarify_candidates", decision.candidates), SlotSet("clarify_aspect", decision.aspect),
                    *_keep(tracker, _told_while_unclear(tracker, decision.candidates))]
        if decision.kind == "out_of_scope":
            dispatcher.utter_message(**handoff.with_offer(
                out_of_scope_reply(conversation.entity_values(tracker, "out_of_scope")), tracker))
            return [SlotSet("clarify_candidates", None)]
        if decision.kind == "smalltalk" and decision.smalltalk == "human_handoff":
            return handoff.hand_off(dispatcher, tracker, may_pause=may_start_dialogue)
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
        dispatcher.utter_message(**handoff.with_offer(unclear_reply(), tracker))
        return []

    def _answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, measure: str, aspect: str,
                start_check: bool = False, may_judge: bool = True, picked: bool = False) -> List[Dict]:
        """The answer about one aspect of a measure; with start_check, then the eligibility form. A question
        that describes the person's case is judged with what it says, whatever aspect it asks; so is the
        choice after a clarifying question (`picked`) when the case was told before it ("我们是做餐饮的公司，
        社保能缓缴不？" … "先说养老的")."""
        day = conversation.as_of(tracker)
        if aspect == "deadline" and kb().measure(measure).procedure_pending and WHEN_TO_APPLY.search(
                conversation.text(tracker)):
            aspect = "process"  # "扩岗补助到底什么时候能办": when the region sets the procedure, not the period
        reply = answer(measure, aspect, day)
        known = conversation.facts(tracker)
        stated = _case_facts(tracker, measure, known)
        events = [SlotSet("measure", measure), SlotSet("aspect", aspect), SlotSet("clarify_candidates", None),
                  SlotSet("clarify_aspect", None)]
        described = bool(set(stated) - WHO_ASKS)
        # "那工伤保险也能一起缓吗" after a check: the case already told is judged for this measure too.
        case_known = bool((set(known) & set(facts_read(measure, known))) - WHO_ASKS)
        text = conversation.text(tracker)
        # "那一次性留工补助呢" right after a verdict asks the same about another measure.
        same_question = bool(tracker.get_slot("last_check")) and asks_the_same(text)
        asks_own_case = described or (case_known and (bool(ELIGIBILITY_QUESTION.search(text)) or same_question or picked))
        start_check = start_check or (asks_own_case and may_judge and aspect in JUDGED_ASPECTS)
        # Kept for any later check, so what was said is never asked again ("今年招的" matters to 扩岗补助 too).
        kept = {**{k: v for k, v in conversation.unambiguous_facts(tracker).items() if k not in known}, **stated}
        if not start_check:
            events += _keep(tracker, kept)
        if described and start_check:
            # The person described their case: judge it instead of reciting the whole rule.
            dispatcher.utter_message(**case_reply(reply, [describe(key, value) for key, value in stated.items()]))
        else:
            dispatcher.utter_message(**answer_reply(reply))
            also = [a for a in conversation.entity_values(tracker, "aspect_also") if a != aspect]
            if aspect in ("online_entry", "office") and "process" not in also and WHERE_TO_APPLY.search(text):
                also.insert(0, "process")  # "去哪儿申请": how and where, whichever half the classifier heard first
            for also in also[:2]:
                dispatcher.utter_message(**answer_reply(answer(measure, also, day)))  # "怎么领？要带什么材料？"
        if not start_check and described and may_judge and reply.in_force and aspect not in JUDGED_ASPECTS:
            # "失业补助金怎么申请？我失业金上个月就领完了…": the aspect asked is answered; when what the person
            # told decides the case, the verdict follows (no questions: they asked something else).
            result = check(measure, {**known, **kept}, day)
            if result.status in ("eligible", "not_eligible"):
                told = describe_all(stated)
                dispatcher.utter_message(text=f"另外，按您说的情况（{told}）：")
                dispatcher.utter_message(**eligibility_reply(result))
                return events + [SlotSet("last_check", measure)]
        if not start_check and not reply.in_force and aspect in JUDGED_ASPECTS and may_judge \
                and tracker.get_slot("last_check") != measure:
            # "稳岗返还今年还有没有", "吸纳就业补贴那个": the measure has ended on the day asked; say so as a
            # verdict too (once), with the pointer to what can still be had.
            result = check(measure, {**known, **kept}, day)
            if result.status == "ended":
                dispatcher.utter_message(**ended_reply(result))
                return events + [SlotSet("last_check", measure)]
        if not start_check:
            return events
        # Only named values this rule reads: "开饭馆" names an industry, which says nothing to a founder's loan.
        reads = facts_read(measure, known)
        named = {key: value for key, value in conversation.mentioned_facts(tracker).items() if key in reads}
        # Read with what this message tells: "我们单位…缴费基数30万" says who asks, which opens the facts remembered.
        remembered = {key: value for key, value in conversation.remembered_facts(tracker, measure, {**known, **kept})
                      .items() if key not in named and key not in kept}
        if remembered:
            dispatcher.utter_message(text=f"按您前面说过的情况（{describe_all(remembered)}）一并判断。")
        facts = {**remembered, **named, **known, **kept}
        if not reply.in_force:
            # The verdict on the day is "ended"; with facts given, also what they would have given.
            result = check(measure, facts, day)
            dispatcher.utter_message(**(eligibility_reply(result) if described else ended_reply(result)))
            return events + [SlotSet("facts", facts), SlotSet("last_check", measure)]
        if not described:
            dispatcher.utter_message(text=CHECK_INTRO)
        return events + [SlotSet("check_measure", measure), SlotSet("answered_facts", _answered_with(tracker, stated)),
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
        context = tracker.get_slot("measure")
        measure = context if last != "checkup" and context and _stays_on(tracker, context) else last
        changes = conversation.stated_facts(tracker, None if measure == "checkup" else measure, before, correcting=True)
        if measure != "checkup":
            changes = {**_case_update(tracker, measure), **changes}
        if not changes:
            target = correction_target(text, conversation.answered(tracker))
            if target is None:
                return None
            changes = dict([target])
        if measure == "checkup":
            facts = {**before, **changes}
            changed = describe_all(changes)
            dispatcher.utter_message(text=f"好的，按“{changed}”重新体检。")
            dispatcher.utter_message(**checkup_reply(checkup(facts, day)))
            return [SlotSet("facts", facts), SlotSet("answered_facts", _answered_with(tracker, changes))]
        return self._judge(dispatcher, tracker, measure, changes, may_start_dialogue)

    def _judge(self, dispatcher: CollectingDispatcher, tracker: Tracker, measure: str, changes: Dict[str, Any],
               may_start_dialogue: bool = True) -> List[Dict]:
        """The case under discussion with these facts added or changed: the verdict when they decide it (and how
        it moved, when it was judged before), else the questions still open."""
        day, before = conversation.as_of(tracker), conversation.facts(tracker)
        facts = {**conversation.remembered_facts(tracker, measure, before), **before, **changes}
        changed = describe_all(changes)
        judged_before = tracker.get_slot("last_check") == measure
        events = [SlotSet("measure", measure), SlotSet("aspect", "conditions"), SlotSet("clarify_candidates", None),
                  SlotSet("answered_facts", _answered_with(tracker, changes))]
        result = check(measure, facts, day)
        if conversation.aspect(tracker) == "amount" and not aspect_guessed(tracker.latest_message):
            # "那技师的补贴标准到底是多少": the standard asked for, then the case with the new fact.
            dispatcher.utter_message(**answer_reply(answer(measure, "amount", day)))
        elif judged_before and WHY.search(conversation.text(tracker)):
            # "为啥？我们也给他们交失业保险了啊": why — the conditions, then the case with what was added.
            dispatcher.utter_message(**answer_reply(answer(measure, "conditions", day)))
        if result.eligible is None and result.in_force and may_start_dialogue:
            # Still open: ask only what is missing, then give the verdict.
            lead = "已按“{}”更新".format(changed) if judged_before else f"已记下：{changed}"
            dispatcher.utter_message(text=f"好的，{lead}。判断“{result.measure.name}”还需要再确认几项。")
            return events + [SlotSet("check_measure", measure), *_new_dialogue(facts, "eligibility_form")]
        if judged_before:
            previous = check(measure, before, day).status
            dispatcher.utter_message(text=f"好的，按“{changed}”重新判断：{verdict_change(previous, result.status)}")
        else:
            dispatcher.utter_message(text=f"好的，按您说的情况（{changed}）来判断：")
        dispatcher.utter_message(**eligibility_reply(result))
        return events + [SlotSet("facts", facts), SlotSet("last_check", measure)]


def _answered_with(tracker: Tracker, changes: Dict[str, Any]) -> List[str]:
    answered = conversation.answered(tracker)
    return answered + [key for key in changes if key not in answered]
