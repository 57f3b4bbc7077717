"""The part both question-asking forms share: turning a reply into a fact, corrections, "不知道".

A form asks one fact at a time through the slot `fact_answer`; the fact being asked is in
`pending_fact`, the answers so far in `facts` (a dict shared by every check in the conversation, so
nobody is asked twice), their order in `answered_facts`, and facts the user could not answer in
`skipped_facts` (never asked again in this check).
"""
from __future__ import annotations

import abc
import re
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from policies_kb.facts import FactError, coerce, enum_label, match_enum, parse_bool
from policies_kb.loader import kb

from . import conversation
from .resolution import WHAT_IF, declares, is_farewell, is_leaving

QUESTION_INTENTS = ("ask_topic", "ask_followup", "policy_checkup", "out_of_scope", "bot_challenge", "human_handoff")
QUESTION_CONFIDENCE = 0.7
CLOSING_INTENTS = ("thanks", "goodbye")  # inside a check: stop asking, then give the result so far
CORRECTION = re.compile(r"不对|错了|说错|搞错|写错|记错|记岔|弄错|搞混|改成|改为|改一下|更正|应该是|其实是|纠正")
REFUSAL = re.compile(r"不方便(说|透露|讲)|不想(说|回答|透露)|不告诉|保密|别问了|不用问了|直接告诉我|你就告诉我")
UNSURE = re.compile(r"不知道|不清楚|不确定|不太清楚|说不好|不记得|不了解|没听说|不懂|跳过")
AFFIRM_INTENTS, DENY_INTENTS = ("affirm",), ("deny",)


def describe(key: str, value: Any) -> str:
    """'参保职工人数：30人' — how a recorded fact is read back to the user."""
    spec = kb().facts[key]
    if spec.type == "bool":
        shown = "是" if value else "否"
    elif spec.type == "enum":
        shown = enum_label(key, value)
    else:
        shown = f"{value:g}{spec.unit or ''}" if isinstance(value, float) else f"{value}{spec.unit or ''}"
    return f"{spec.label}：{shown}"


def describe_all(facts: Dict[str, Any]) -> str:
    """'参保职工人数：30人；上年度裁员人数：2人' — several recorded facts read back in one line."""
    return "；".join(describe(key, value) for key, value in facts.items())


def is_question_intent(intent: Optional[str]) -> bool:
    return (intent or "").startswith("ask_") or intent in QUESTION_INTENTS


CORRECTION_LEAD = re.compile(r"^(不对|错了|说错了|刚才说错了|记错了|我记错了|更正|改一下|应该是|其实是)[，,：:\s]*")


def is_what_if(text: str) -> bool:
    """'如果我是自己辞职的呢': the same check with a changed fact."""
    return bool(WHAT_IF.search(text.strip()))


def is_correction(text: str) -> bool:
    """'不对，我交了两年' corrects an earlier answer; a bare '不对' just answers no."""
    return bool(CORRECTION.search(text)) and bool(CORRECTION_LEAD.sub("", text).strip(" 。.!！"))


def parse_answer(key: str, text: str, intent: Optional[str], learned: Optional[Any] = None) -> Any:
    """The value of fact `key` in a reply; FactError when the reply does not give one. `learned`: what the
    learned reader says the reply says of the fact, taken when the plain words (是, 没有) do not say."""
    value = CORRECTION_LEAD.sub("", text) or text
    if kb().facts[key].type == "bool":
        if intent in AFFIRM_INTENTS:
            return True
        if intent in DENY_INTENTS:
            return False
        plain = parse_bool(value, loose=False)
        if plain is not None:
            return plain
        if isinstance(learned, bool):
            return learned  # "工资都开不出来": a 不 in the sentence, but a yes to "存款是否不足"
        echoed = echoed_answer(kb().facts[key].question, value)
        if echoed is not None:
            return echoed
        # "这个补贴有什么条件" must not count as "有": sentences are read loosely only when not a question.
        answer = parse_bool(value, loose=not is_question_intent(intent))
        if answer is None:
            raise FactError(f"not a yes/no answer: {text!r}")
        return answer
    return coerce(key, value)


# A clause that negates the question's own words ("今年也没领过" to "…是否已经…领过技能提升补贴？") answers no.
# 不少, 不错, 不过 … are not negations.
NEGATION = re.compile(r"没有|没(?!错)|未|不是|不(?![少错过管断停久光仅但然])|从没|无(?!论)")
FIRST_TIME = re.compile(r"第一次|头一回|头一次|首次|第一回")
# Words every question shares; a clause that only shares these does not echo the question.
COMMON_BIGRAMS = {"是否", "贵单", "单位", "您的", "您是", "已经", "这些", "目前", "是不", "有没", "是在", "了吗", "一个"}


def _bigrams(text: str) -> set:
    return {text[i:i + 2] for i in range(len(text) - 1)
            if all("\u4e00" <= char <= "\u9fff" for char in text[i:i + 2])} - COMMON_BIGRAMS


def echoed_answer(question: str, text: str) -> Optional[bool]:
    """A yes/no answer read from the words it shares with the question: a clause negating them says no;
    "第一次申请" says no to "以前…领过" and yes to "首次创业". None when the question itself is negative
    ("存款是否不足"), where an echo would be read backwards."""
    if re.search(r"[不未无非没]", question):
        return None
    if FIRST_TIME.search(text):
        if re.search(r"首次|第一次", question):
            return True
        if re.search(r"以前|之前|曾|过", question):
            return False
    asked = _bigrams(question)
    for clause in re.split(r"[，,。；;！!？?\s]+", text):
        if NEGATION.search(clause) and _bigrams(clause) & asked:
            return False
    return None


def _strict_answer(key: str, text: str, intent: Optional[str]) -> Any:
    """The asked fact's value when a reply that states other facts also answers it plainly, else None
    ("我们一直有交失业险" must not answer "是否亏损" with its 有)."""
    kind = kb().facts[key].type
    if kind == "bool":
        plain = parse_bool(CORRECTION_LEAD.sub("", text) or text, loose=False)
        return plain if plain is not None else echoed_answer(kb().facts[key].question, text)
    if kind == "enum":
        return match_enum(key, text)
    return None  # the reply's numbers are the stated facts' ("参保60人" does not answer "裁了多少人")


# "裁的是6个" counts people and "只有1.5年" is a time: neither is a sum of money, whatever the last answer was.
COUNTED = re.compile(r"[\d零〇一二两三四五六七八九十百千]\s*(?:个|人|名|位|次|号|年|月|天|周)")
MONEY = re.compile(r"元|块|万|钱")


def correction_target(text: str, answered: List[str]) -> Optional[Tuple[str, Any]]:
    """For '不对，我交了两年': the most recent answered fact the new value fits, and that value."""
    for key in reversed(answered):
        if kb().facts[key].unit == "元" and COUNTED.search(text) and not MONEY.search(text):
            continue
        try:
            return key, parse_answer(key, text, None)
        except FactError:
            continue
    return None


HOW_ASPECTS = ("process", "materials", "office", "online_entry", "deadline")


def asks_how(tracker: Tracker, text: str) -> bool:
    """'失业金怎么领？要带什么材料？': a question about applying, not an answer, whatever words it shares with one."""
    return conversation.aspect(tracker) in HOW_ASPECTS and not declares(text)


class FactQuestionForm(FormValidationAction, abc.ABC):
    """Validates `fact_answer` for a form; subclasses say which facts are still needed.
    Abstract, so the action server registers only the concrete forms."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict]:
        from .handoff import events_for_form  # 转人工 mid-check ends the form and pauses the bot (actions/handoff.py)

        events = await super().run(dispatcher, tracker, domain)
        return events + events_for_form(dispatcher)

    @staticmethod
    def _is_question(tracker: Tracker, intent: Optional[str]) -> bool:
        _, confidence = conversation.intent(tracker)
        asks = is_question_intent(intent)
        if intent == "ask_followup":
            asks = bool(conversation.entity_values(tracker, "aspect"))
        return asks and confidence >= QUESTION_CONFIDENCE

    @abc.abstractmethod
    def next_fact(self, tracker: Tracker, facts: Dict[str, Any], skipped: List[str]) -> Optional[str]:
        """The fact to ask next, or None when the form has all it needs."""

    def open_facts(self, tracker: Tracker, facts: Dict[str, Any], skipped: List[str]) -> List[str]:
        """Every fact the form would still ask, in order (skipping each in turn)."""
        remaining: List[str] = []
        while True:
            key = self.next_fact(tracker, facts, skipped + remaining)
            if key is None or key in remaining:
                return remaining
            remaining.append(key)

    def measure_in_view(self, tracker: Tracker) -> Optional[str]:
        """The measure being checked (None: all of them, as in the 政策体检); stated facts are read for it."""
        return None

    def named_facts(self, tracker: Tracker, facts: Dict[str, Any]) -> Dict[str, Any]:
        """Fact values the message names (中型企业, 餐饮) that the rule in view reads."""
        named = conversation.mentioned_facts(tracker)
        measure = self.measure_in_view(tracker)
        if not named or measure is None:
            return named
        reads = conversation.rule_reads(measure, facts, named)
        return {key: value for key, value in named.items() if key in reads}

    def switch_to(self, tracker: Tracker) -> Optional[str]:
        """Another measure the person now asks to be checked for ("那工伤保险也能一起缓吗"), or None."""
        return None

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: Dict[Text, Any]) -> List[Text]:
        facts, skipped = conversation.facts(tracker), conversation.skipped(tracker)
        return ["fact_answer"] if self.next_fact(tracker, facts, skipped) else []

    async def validate_fact_answer(self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: Dict[Text, Any]) -> Dict[Text, Any]:
        text = conversation.text(tracker)
        intent, _ = conversation.intent(tracker)
        facts, answered = conversation.facts(tracker), conversation.answered(tracker)
        skipped = conversation.skipped(tracker)
        pending = tracker.get_slot("pending_fact")
        if is_correction(text) and answered:
            # "不对，是连续交了七个月": the facts the words state, the ones already given first; else the most
            # recent answer the new value fits.
            corrected = {key: value for key, value in conversation.stated_facts(
                tracker, self.measure_in_view(tracker), facts, correcting=True).items() if facts.get(key) != value}
            # "按统计局那个划型办法我们是小型企业，不对，会计说是微型的": the value named after the correction.
            after = max(match.end() for match in CORRECTION.finditer(text))
            corrected.update({key: value for key, value in conversation.mentioned_facts(tracker, after).items()
                              if facts.get(key) != value and key not in corrected})
            target = correction_target(text, answered)
            if not corrected and target:
                corrected = dict([target])
            if corrected:
                facts.update(corrected)
                dispatcher.utter_message(text="好的，已更正：" + describe_all(corrected) + "。")
                return {"fact_answer": None, "facts": facts,
                        "answered_facts": answered + [key for key in corrected if key not in answered]}
        if pending is None:
            return {"fact_answer": None}
        # Whatever else the reply states ("交了10个月", "如果我是自己辞职的呢") is taken too, and never asked again.
        stated = {key: value for key, value in conversation.stated_facts(tracker, self.measure_in_view(tracker), facts)
                  .items() if facts.get(key) != value}
        # Values the reply names that nobody has given yet ("我们属于中型企业" while the check asks something else).
        # A what-if changes one already given ("要是我们是搞纺织的呢").
        stated.update({key: value for key, value in self.named_facts(tracker, facts).items()
                       if (key not in facts or (is_what_if(text) and facts[key] != value)) and key not in stated
                       and key != pending})
        # "失业金在哪里申请" asked mid-check is a question; "正在领失业金" answers 就业状态, and "缓缴到期肯定补上"
        # in a 缓缴 check names its own topic.
        in_view = self.measure_in_view(tracker)
        question_like = is_question_intent(intent) and bool(
            [m for m in conversation.entity_values(tracker, "measure") if m != in_view]
            or [t for t in conversation.entity_values(tracker, "topic")
                if not kb().topics[t].narrows_only and in_view not in kb().topics[t].measures])
        switched = self.switch_to(tracker) if question_like and not REFUSAL.search(text) else None
        if switched:
            # "那工伤保险也能一起缓吗": the same case, judged for the other measure; nothing known is asked again.
            facts.update(conversation.remembered_facts(tracker, switched, facts))
            facts.update(conversation.stated_facts(tracker, switched, facts))
            dispatcher.utter_message(text=f"好的，按您已经说过的情况，接着看“{kb().measure(switched).name}”。")
            return {"fact_answer": None, "facts": facts, "check_measure": switched, "measure": switched,
                    "pending_fact": None, "failed_fact": None}
        if REFUSAL.search(text):
            # "这些我不方便说，你就告诉我最多能拿多少": stop asking; the result gives the standard and what is open.
            remaining = [key for key in self.open_facts(tracker, facts, skipped) if key not in skipped]
            dispatcher.utter_message(text="好的，不方便说也没关系，我先按通知的标准告诉您，具体能否享受以经办机构审核为准。")
            return {"fact_answer": None, "skipped_facts": skipped + remaining, "failed_fact": None}
        intent_name, confidence = conversation.intent(tracker)
        if is_leaving(text) or (intent_name in CLOSING_INTENTS and confidence >= QUESTION_CONFIDENCE and not stated):
            # "好吧，那我等通知，谢谢", "好吧，等满一年再说，拜拜": no more questions (what was said is kept); the
            # result says where the case stands and what is open.
            facts.update(stated)
            remaining = [key for key in self.open_facts(tracker, facts, skipped) if key not in skipped]
            closing = "goodbye" if is_farewell(text) else intent_name if intent_name in CLOSING_INTENTS else "thanks"
            dispatcher.utter_message(response=f"utter_{closing}")
            return {"fact_answer": None, "facts": facts, "skipped_facts": skipped + remaining, "failed_fact": None,
                    "answered_facts": answered + [key for key in stated if key not in answered]}
        if stated:
            if pending not in stated and not question_like:
                answer = _strict_answer(pending, text, intent)
                if answer is not None:
                    stated[pending] = answer
            return self._take(dispatcher, facts, answered, stated, pending)
        if not question_like and UNSURE.search(text):
            skipped.append(pending)
            dispatcher.utter_message(text="没关系，这一项先跳过，结果中会说明还需确认的情况。")
            return {"fact_answer": None, "skipped_facts": skipped}
        try:
            if question_like and kb().facts[pending].type != "enum":
                raise FactError("a question about a measure")
            if asks_how(tracker, text):
                raise FactError("a question about applying")  # "失业金怎么领？" does not answer 就业状态
            value = parse_answer(pending, text, intent, conversation.learned_answer(tracker, pending))
        except FactError:
            if question_like or self._is_question(tracker, intent) or asks_how(tracker, text) or not declares(text):
                # A question in the middle of the check: answer it, then the form asks its question again.
                from .respond import ActionRespond  # the router imports this module's helpers

                events = ActionRespond().respond(dispatcher, tracker, may_start_dialogue=False)
                return {"fact_answer": None, **{e["name"]: e["value"] for e in events if e.get("event") == "slot"}}
            spec = kb().facts[pending]
            if spec.affirmed_by and parse_bool(text, loose=False) is True:
                # "签了" to "合同期限多长": a contract exists; record that and ask for the length again.
                facts[spec.affirmed_by] = True
                dispatcher.utter_message(text=f"好的，已记下：{describe(spec.affirmed_by, True)}。还需要知道具体期限。")
                return {"fact_answer": None, "facts": facts, "answered_facts": answered + [spec.affirmed_by]}
            if tracker.get_slot("failed_fact") == pending:
                # Second miss on the same question: move on rather than ask a third time.
                dispatcher.utter_message(text=f"抱歉，还是没能识别出{spec.label}，这一项先跳过，结果中会说明还需确认的情况。")
                return {"fact_answer": None, "skipped_facts": skipped + [pending], "failed_fact": None}
            hint = {"bool": "请回答“是”或“否”，不确定可以说“不清楚”。",
                    "enum": "请从选项中选择一项，不确定可以说“不清楚”。"}.get(spec.type, f"请回答一个数字（单位：{spec.unit or '个'}），例如“3”或“三十”。")
            dispatcher.utter_message(text=f"抱歉，没能从您的回答中识别出{spec.label}。{hint}")
            return {"fact_answer": None, "failed_fact": pending}
        facts[pending] = value
        return {"fact_answer": None, "facts": facts, "answered_facts": answered + [pending], "failed_fact": None}

    @staticmethod
    def _take(dispatcher: CollectingDispatcher, facts: Dict[str, Any], answered: List[str], stated: Dict[str, Any],
              pending: str) -> Dict[Text, Any]:
        """Record every fact a reply gives; say back the ones that were not the question asked."""
        others = [key for key in stated if key != pending]
        if others:
            dispatcher.utter_message(text="好的，已记下：" + describe_all({key: stated[key] for key in others}) + "。")
        facts.update(stated)
        order = answered + [key for key in stated if key not in answered]
        return {"fact_answer": None, "facts": facts, "answered_facts": order, "failed_fact": None}
