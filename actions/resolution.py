"""Which measure and aspect a message is about, or why it cannot be answered as one.

Pure function of what NLU produced (intent ranking and entities) and the conversation's current
measure. The order of evidence, strongest first:
  1. a measure named in the text (its name, an alias, or a homophone of one);
  2. a topic word naming a group (缓缴, 降费率 …): ask which one, unless the classifier is very sure;
  3. an out-of-scope subject (公积金, 医保 …) or the out_of_scope intent: decline — unless the classifier is
     all but sure of a measure ("医保断了能不能领失业的钱" is about 失业保险金);
  4. a follow-up ("那要什么材料？") answers about the measure already under discussion;
  5. the intent classifier's measure, when confident and not torn between two.
A vague question ("有什么优惠", "有补助吗") with a topic word always asks which measure, however sure the
classifier is of one member: the person has not said which, and a guess hides the others.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional, Sequence

from bot.referrals import only_in_passing
from bot.stated_facts import PRESUMED, resolve as resolve_stated
from policies_kb.engine import facts_read
from policies_kb.facts import FactError
from policies_kb.loader import kb
from policies_kb.numbers import parse_number
from policies_kb.schema import ASPECTS

ASK_PREFIX = "ask_"
SMALLTALK = ("greet", "goodbye", "thanks", "bot_challenge", "human_handoff")
CONVERSATIONAL = ("affirm", "deny", "stop", "inform")  # replies that only make sense inside a dialogue
FAREWELL = re.compile(r"拜拜|再见|回见|回头见|\bbye\b|byebye|goodbye|88$|打扰了[。.!！~\s]*$", re.IGNORECASE)
FAREWELL_MAX_LENGTH = 12  # a leave-taking, not a question that happens to end with one
ENGLISH_WORD = re.compile(r"[A-Za-z]+")


def is_farewell(text: str) -> bool:
    """'谢谢，拜拜', 'OK got it, bye': a short leave-taking (an English word counts as one character); also a
    statement that ends with one ("行吧，都过期了，那没事了，再见")."""
    if not FAREWELL.search(text):
        return False
    if len(ENGLISH_WORD.sub("w", text)) <= FAREWELL_MAX_LENGTH:
        return True
    last = re.split(r"[，,。；;！!\s]+", text.strip(" 。.!！~"))[-1]
    return len(last) <= 6 and bool(FAREWELL.search(last)) and declares(text)


POSTPONE = re.compile(r"再说|以后再|回头再|到时候再")
ENDS_THANKS = re.compile(r"(?:谢谢|多谢|感谢|谢了|拜拜|再见)[啦了哈呀啊!！。.~\s]*$")


def is_leaving(text: str) -> bool:
    """'好吧，等满一年再说，拜拜', '行，那等他满一年再说。谢谢': the person ends the conversation; what they
    mention on the way out ("满一年") is not a new case to judge."""
    return is_farewell(text) or bool(POSTPONE.search(text) and ENDS_THANKS.search(text))
UNDERSTOOD = re.compile(r"^(?:ok|okay|好的?|行|嗯|哦|噢)?[\s,，。.!！~]*(?:知道了|了解了|明白了|懂了|清楚了)[\s。.!！~]*$",
                        re.IGNORECASE)
CONFIDENT = 0.55          # below this the classifier's measure is not trusted on its own
TORN_MARGIN = 0.25        # top two measures closer than this (and the second above SECOND_FLOOR): ask
SECOND_FLOOR = 0.2
TOPIC_OVERRIDE = 0.95     # a topic word is ambiguous unless the classifier is at least this sure
LONG_TOPIC_OVERRIDE = 0.8  # ... or this sure in a long message, which describes a situation around the word
LONG_MESSAGE = 25
OVERRIDE_NAMED = 0.9      # the classifier overrules a measure named in passing only when this sure
OVERRIDE_NAMED_ASKED = 0.99  # ... and one the last clause asks about by name ("…，失业金能领吗") only when all but certain
OUT_OF_SCOPE_CONFIDENT = 0.5
FOLLOWUP_MAX_LENGTH = 16  # a short message with an aspect and no subject continues the conversation
OOS_OVERRIDE = 0.8        # an out-of-scope word in passing: the classifier's measure still wins from here
# "还是" asks "or" ("失业金还是补助金"), not "still" ("领完了还是没找着工作", "裁员还是5个").
COMPARISON = re.compile(r"区别|不同|不一样|哪个(更|比较)?(好|划算|多|高|合适|钱多)|还是(?![没不\d一二两三四五六七八九十])")
QUESTION = re.compile(r"[？?吗么]|(?<![好行对算])吧[。.!！~\s]*$|什么|(?<!没)(?<!没受)(?<!没有)啥|怎么|怎样|如何|咋|哪|多少|多久|多长时间|几个|能不能|可不可以|是否|是不是|有没有")
# "如果我是自己辞职的呢", "那要是再招1个": the same case with something changed.
WHAT_IF = re.compile(r"^(?:那|那么)?(?:如果|假如|要是|假设|若是|换成|万一|假如说|要是说)")
# "那工伤保险也能一起缓吗", "还有我的份吗", "先给算算": whether (and how much) the person's own case qualifies.
ELIGIBILITY_QUESTION = re.compile(r"能不能|能否|可不可以|可以.{0,8}[吗么]|能.{0,10}[吗么不]|符合|够不够|有.{0,2}份|算不算|行不行|够条件"
                                  r"|(?:给|帮我?|先)算(?:算|一下|一算)|能(?:拿|领|返|补)多少")


# What the assistant cannot do, said plainly with where to go instead (actions/replies.py cannot_reply).
CANNOT = (("application_status", re.compile(r"进度|到哪一?步|审核(到哪|结果|通过了?没|完了?没)|批(下来)?了?没|有结果了?没|"
                                            r"(钱|补贴|返还款?)到账了?没|怎么还没(到账|批|审)|查(一下|查)?我的|"
                                            r"(报|交|递|申请)上去[^，,。？?]{0,12}(没动静|没消息|没信儿|还没)|一直没(动静|消息|信儿)")),
          ("callback", re.compile(r"回(个|一个)?电话|(打|回)电话给我|给我(打|回)(个)?电话|联系我|回拨")),
          ("store_contact", re.compile(r"记(下|住|一下)?我的(手机|电话|号码)|留(个|一下)?(我的)?(手机|电话|号码|联系方式)(?!.*(多少|哪))|我的(手机|电话)(号码?)?是")),
          ("personal_advice", re.compile(r"你(觉得|看|建议)我(该|应该|要不要)|帮我(选|决定|拿主意)|要不要辞职")))
# A word of care first ("心里特别难受"); a crisis gets the emergency numbers too.
DISTRESS = re.compile(r"难受|难过|焦虑|着急|急死|崩溃|绝望|压力(好|太|很|特别)?大|愁死|心累|委屈|伤心|想哭|哭了|"
                      r"撑不下去|走投无路|没法活|活不下去|不想活|想不开|太难了|唉")
CRISIS = re.compile(r"活不下去|不想活|想不开|没法活|轻生|自杀")


def cannot_do(text: str) -> Optional[str]:
    return next((kind for kind, pattern in CANNOT if pattern.search(text)), None)


def declares(text: str) -> bool:
    """'我们基地是企业性质的' states something; '能领多少' asks."""
    return not QUESTION.search(text)
# Two subjects joined ("缓缴和留工补助都想了解", "X跟Y能一起拿吗"): both are asked about.
JOINED = re.compile(r"[和与跟及、]|以及|一起|同时|都想")
# "什么时候能办": for a measure whose procedure the region has yet to set, a question about the procedure.
WHEN_TO_APPLY = re.compile(r"(什么时候|啥时候|何时|多会儿|哪天)(才)?(能|可以)?(开始)?(办|申请|领|申报|报)")
# "还有啥别的补助", "其他政策呢": after an answer, the rest of the measure's family.
OTHERS = re.compile(r"(别的|其他|其它|另外的?)(补助|补贴|政策|优惠|钱|待遇)|还有(啥|什么|没有|没)(别的|其他)")
# A question that asks what exists rather than about one measure.
VAGUE = re.compile(r"(有什么|有啥|有哪些|哪些|什么|啥|有没有)(新的?|的)?(优惠|政策|补贴|补助|钱|扶持|支持|待遇|减负|好处)"
                   r"|(优惠|政策|补贴|补助|待遇)都?(有哪些|有什么|有啥|有几种|有哪几种|有几项|分几种)|有(补助|补贴|优惠)(吗|么|没|不)"
                   r"|给(补贴|补助)(吗|么|不)")


@dataclass
class Decision:
    kind: str  # answer | clarify | out_of_scope | smalltalk | checkup | which_measure | acknowledge | unclear
    measure: Optional[str] = None
    aspect: Optional[str] = None
    candidates: List[str] = field(default_factory=list)
    self_check: bool = False
    smalltalk: Optional[str] = None


def measure_of_intent(intent: Optional[str]) -> Optional[str]:
    if intent and intent.startswith(ASK_PREFIX):
        measure = kb().find_measure(intent[len(ASK_PREFIX):])
        return measure.id if measure else None
    return None


def _measure_ranking(ranking: Sequence[Dict[str, Any]]) -> List[tuple]:
    scored = [(measure_of_intent(item.get("name")), float(item.get("confidence") or 0)) for item in ranking]
    return [(measure, confidence) for measure, confidence in scored if measure]


def topic_candidates(topics: Sequence[str]) -> List[str]:
    """Measures a message's topic words point at: those in every topic named, else in any topic that
    may stand alone; none when only narrowing words (养老, 工伤 …) were used."""
    if all(kb().topics[topic].narrows_only for topic in topics):
        return []
    groups = [kb().topics[topic].measures for topic in topics]
    common = [m for m in groups[0] if all(m in group for group in groups[1:])]
    if common:
        return common
    # "养老保险和失业保险的缓缴": each group narrowed by the narrowing words that apply to it.
    narrowing = [kb().topics[topic].measures for topic in topics if kb().topics[topic].narrows_only]
    standalone = [kb().topics[topic].measures for topic in topics if not kb().topics[topic].narrows_only]
    narrowed = [m for group in standalone for m in group if any(m in words for words in narrowing)]
    return list(dict.fromkeys(narrowed or [m for group in standalone for m in group]))


def _joined_narrowed(topics: Sequence[str], named: str) -> List[str]:
    """'养老保险和失业保险的缓缴' (养老保险费缓缴 read as a name): the measure named plus what each other
    narrowing word makes of the same group."""
    groups = [kb().topics[t].measures for t in topics if not kb().topics[t].narrows_only and named in kb().topics[t].measures]
    narrowing = [kb().topics[t].measures for t in topics if kb().topics[t].narrows_only and named not in kb().topics[t].measures]
    if not groups or not narrowing:
        return []
    return [m for m in groups[0] if m != named and any(m in words for words in narrowing)]


# Generic words of the measures' names ("补助", "补贴钱打到哪"): said alone, they stand for every measure
# whose name has them.
GENERIC_NAME_WORDS = ("补助", "补贴", "贷款", "返还", "缓缴", "费率")
AMOUNT = re.compile(r"(\d+(?:\.\d+)?|[一二两三四五六七八九][千万](?:[一二两三四五六七八九]百?)?)\s*(万)?\s*(?:元|块)?")


def generic_name_candidates(text: str) -> List[str]:
    for word in GENERIC_NAME_WORDS:
        if word in text:
            named = [m.id for m in kb().measures if word in m.name]
            if named:
                return named
    return []


def amount_candidates(text: str) -> List[str]:
    """'那个1500的', '每人一千五的补贴': the measures with a sum of that many yuan."""
    found: List[str] = []
    for match in AMOUNT.finditer(text):
        try:
            value = parse_number(match.group(1)) * (10000 if match.group(2) else 1)
        except ValueError:
            continue
        if value >= 100:
            found += [m.id for m in kb().measures for name, p in m.parameters.items()
                      if name.endswith("_yuan") and p.value == value]
    return list(dict.fromkeys(found))


def _families(measure: str) -> List[Sequence[str]]:
    """The groups of measures a topic word names that include this one, the closest family first: 缓缴
    (3 measures) before 社保费减负 (5)."""
    return sorted((topic.measures for topic in kb().topics.values()
                   if not topic.narrows_only and measure in topic.measures), key=len)


def narrowed_siblings(topics: Sequence[str], context_measure: str) -> List[str]:
    """Measures sharing a topic with the one under discussion, narrowed by the words used now."""
    for group in _families(context_measure):
        narrowed = [m for m in group if all(m in kb().topics[t].measures for t in topics)]
        if narrowed:
            return narrowed
    return []


def _asked_in_last_clause(text: str, measure: str) -> bool:
    """'我是农民工，…，失业金能领吗': the last clause names the measure and asks about it."""
    last = re.split(r"[，,。；;！!\s]+", text.rstrip("？?。！! "))[-1]
    return any(name in last for name in [kb().measure(measure).name, *kb().measure(measure).aliases]) \
        and bool(QUESTION.search(last) or ELIGIBILITY_QUESTION.search(last))


def _family(measure: str) -> List[str]:
    """The closest family with other members (失业保险金: the four benefits for people out of work)."""
    return next((list(group) for group in _families(measure) if len(group) > 1), [])


def _short_follow_up(text: str) -> bool:
    """'那扩岗的呢', '工伤保险': a short message that changes the subject but not the question."""
    stripped = text.strip(" ？?。.!！")
    return len(stripped) <= 8 or asks_the_same(text) or (len(stripped) <= FOLLOWUP_MAX_LENGTH and (
        "呢" in stripped or bool(ALSO.search(stripped))))


# "那养老保险是不是也能一块缓": the same question, also about another measure.
ALSO = re.compile(r"也(?:能|可以|行|是|一样)|一块|一起")


# "失业保险的呢，也一样？": the same question about another measure.
SAME_AS = re.compile(r"(?:也|还)?一样(?:吗|么|不|吧)?$|也(?:是|行|可以|能)(?:吗|么|不)?$")


def asks_the_same(text: str) -> bool:
    """'那一次性留工补助呢', '失业保险的呢，也一样？': right after a verdict, the same question about another measure."""
    stripped = text.strip(" ？?。.!！")
    return len(stripped) <= FOLLOWUP_MAX_LENGTH and (stripped.endswith("呢") or bool(SAME_AS.search(stripped)))


def resolve(*, intent: Optional[str], ranking: Sequence[Dict[str, Any]], measures: Sequence[str],
            topics: Sequence[str], aspect: Optional[str], out_of_scope_terms: Sequence[str] = (),
            self_check: bool = False, context_measure: Optional[str] = None, context_aspect: Optional[str] = None,
            text: str = "", situation: Sequence[str] = (), asked_in_turn: Sequence[str] = ()) -> Decision:
    """Decide what to do with one user message (see the module docstring for the order of evidence)."""
    confidence = next((float(i.get("confidence") or 0) for i in ranking if i.get("name") == intent), 0.0)
    scored = _measure_ranking(ranking)
    classified = scored[0] if scored else (None, 0.0)
    own_aspect = aspect
    by_amount = amount_candidates(text) if not measures and not context_measure else []
    if is_farewell(text) and not measures and not topics:
        return Decision("smalltalk", smalltalk="goodbye")  # "谢谢，拜拜", "ok bye": the thanks is in the goodbye
    if is_leaving(text) and not measures:
        return Decision("smalltalk", smalltalk="goodbye" if FAREWELL.search(text) else "thanks")
    if UNDERSTOOD.match(text):
        return Decision("smalltalk", smalltalk="thanks")  # "ok 知道了": the answer was taken, as a thanks is
    if intent in CONVERSATIONAL and not measures and not topic_candidates(topics) and own_aspect is None \
            and len(by_amount) < 2:
        return Decision("acknowledge")
    if aspect is None and context_aspect and _short_follow_up(text) and (measures or topics or text.endswith("呢")):
        aspect = context_aspect  # "那扩岗补助呢" keeps asking what the previous question asked
    check = self_check and aspect in (None, "conditions")
    answer_aspect = "conditions" if check else (aspect or "overview")

    vague = bool(VAGUE.search(text))
    if context_measure and not measures and OTHERS.search(text):
        # "那有啥别的补助没有" after 失业保险金: the other measures of its family.
        others = [m for m in _family(context_measure) if m != context_measure]
        if others:
            return Decision("clarify", aspect=aspect, candidates=others)
    if len(asked_in_turn) > 1 and not COMPARISON.search(text):
        # "一次性留工补助能领吗？稳岗返还呢？": each asked in its own question; the first first.
        return Decision("answer", asked_in_turn[0], answer_aspect, candidates=list(asked_in_turn[1:]),
                        self_check=check)
    if measures:
        if len(measures) == 1 and topics and (COMPARISON.search(text) or JOINED.search(text)):
            others = [m for m in topic_candidates(topics) if m != measures[0]]
            if others and measures[0] not in topic_candidates(topics):
                # "失业保险缓缴和降费率有什么不一样", "旅游企业缓缴和留工补助都想了解": both subjects are offered.
                return Decision("clarify", aspect=aspect, candidates=[measures[0], *others])
            siblings = _joined_narrowed(topics, measures[0]) if JOINED.search(text) else []
            if siblings:
                return Decision("clarify", aspect=aspect, candidates=[measures[0], *siblings])
        if len(measures) == 1:
            # A name can sit inside a situation about another measure ("失业金领完了还没找到工作" is about
            # 失业补助金): a classifier that is all but certain of another measure wins.
            # Named only inside a stated fact ("…没领过失业金"), it yields to a classifier that is merely sure.
            threshold = CONFIDENT if measures[0] in situation else OVERRIDE_NAMED_ASKED if _asked_in_last_clause(
                text, measures[0]) else OVERRIDE_NAMED
            if classified[0] not in (None, measures[0]) and classified[1] >= threshold:
                return Decision("answer", classified[0], answer_aspect, self_check=check)
            return Decision("answer", measures[0], answer_aspect, self_check=check)
        if classified[0] in measures and classified[1] >= CONFIDENT and not COMPARISON.search(text):
            return Decision("answer", classified[0], answer_aspect, self_check=check)
        return Decision("clarify", aspect=aspect, candidates=list(measures))

    members = topic_candidates(topics) if topics else []
    if not members and topics and context_measure and _short_follow_up(text):
        members = narrowed_siblings(topics, context_measure)  # "工伤的呢" after 养老保险费缓缴 → 工伤保险费缓缴
    if not members and topics and vague:
        # "工伤保险这块有什么优惠": a narrowing word alone, asked vaguely, lists what it narrows to.
        groups = [kb().topics[t].measures for t in topics]
        members = [m for m in groups[0] if all(m in group for group in groups[1:])]
    if members:
        if len(members) == 1:
            return Decision("answer", members[0], answer_aspect, self_check=check)
        if out_of_scope_terms and not only_in_passing(out_of_scope_terms):
            # "那住房公积金能缓交不": the generic word (缓缴) is said of a subject outside the notice.
            return Decision("out_of_scope")
        if context_measure in members and (_short_follow_up(text) or not vague):
            # "费率降了多少" about 降工伤费率, "缓缴期间滞纳金还收不收" about 养老保险费缓缴: the measure under
            # discussion is one of those the words name.
            return Decision("answer", context_measure, answer_aspect, self_check=check)
        override = LONG_TOPIC_OVERRIDE if len(text) >= LONG_MESSAGE else TOPIC_OVERRIDE
        if classified[0] in members and classified[1] >= override and (not vague or len(text) >= LONG_MESSAGE):
            return Decision("answer", classified[0], answer_aspect, self_check=check)
        if classified[0] and classified[0] not in members and classified[1] >= OVERRIDE_NAMED and not vague:
            # "想自己申请退那部分失业保险费" mentions the fee in passing; it is about 稳岗返还.
            return Decision("answer", classified[0], answer_aspect, self_check=check)
        return Decision("clarify", aspect=aspect, candidates=members)

    if len(by_amount) > 1 and not (classified[0] in by_amount and classified[1] >= OVERRIDE_NAMED
                                   and len(text) >= LONG_MESSAGE):
        # "那个1500的": several measures pay that sum; a long message describing a situation is left to the
        # classifier.
        ordered = sorted(by_amount, key=lambda m: m != classified[0])
        return Decision("clarify", aspect=aspect, candidates=ordered)
    if out_of_scope_terms and not only_in_passing(out_of_scope_terms):
        return Decision("out_of_scope")  # "你们能帮忙开个发票吗" asks about 发票, however it is put
    if intent in SMALLTALK and confidence >= CONFIDENT and not (own_aspect and intent in ("greet", "bot_challenge")):
        return Decision("smalltalk", smalltalk=intent)  # "在支付宝上能申请吗" asks, it does not greet
    if intent == "policy_checkup" and confidence >= CONFIDENT:
        return Decision("checkup")
    # "怎么申请" continues the conversation about the measure just answered, whatever the classifier
    # thinks; with no measure yet, ask which one.
    bare_aspect_question = (own_aspect is not None and len(text) <= FOLLOWUP_MAX_LENGTH
                            and classified[1] < CONFIDENT and not out_of_scope_terms)
    if bare_aspect_question:
        if context_measure:
            return Decision("answer", context_measure, answer_aspect, self_check=check)
        if len(text) >= 7 and len(scored) > 1:  # "一次性补助怎么申请": offer the classifier's best guesses
            return Decision("clarify", aspect=aspect, candidates=[m for m, _ in scored[:3]])
        by_name_word = generic_name_candidates(text)
        if by_name_word:  # "补贴钱打到哪": every measure called a 补贴
            return Decision("clarify", aspect=aspect, candidates=by_name_word)
        return Decision("which_measure", aspect=aspect)
    if intent == "out_of_scope" and confidence >= OUT_OF_SCOPE_CONFIDENT and not (context_measure and own_aspect):
        return Decision("out_of_scope")  # "个人那0.5%一个月到底扣多少 how much" asks about the measure in view
    if out_of_scope_terms and not (only_in_passing(out_of_scope_terms) and classified[0]
                                   and classified[1] >= OOS_OVERRIDE):
        return Decision("out_of_scope")

    if intent == "ask_topic" and confidence >= CONFIDENT and len(scored) > 1:
        return Decision("clarify", aspect=aspect, candidates=[m for m, _ in scored[:3]])
    if intent == "ask_followup":
        if context_measure:
            return Decision("answer", context_measure, answer_aspect, self_check=check)
        return Decision("which_measure", aspect=aspect)

    if classified[0] and classified[1] >= CONFIDENT:
        if len(scored) > 1 and scored[1][1] >= SECOND_FLOOR and classified[1] - scored[1][1] < TORN_MARGIN:
            return Decision("clarify", aspect=aspect, candidates=[scored[0][0], scored[1][0]])
        return Decision("answer", classified[0], answer_aspect, self_check=check)
    if intent == "ask_topic" and scored:
        return Decision("clarify", aspect=aspect, candidates=[m for m, _ in scored[:3]])
    if own_aspect and context_measure:
        # "明白，那被辞退的话钱打到哪，多久到账": an aspect asked, nothing else named: the measure under discussion.
        return Decision("answer", context_measure, answer_aspect, self_check=check)
    by_name_word = generic_name_candidates(text) if not out_of_scope_terms else []
    if by_name_word:
        return Decision("clarify", aspect=aspect, candidates=by_name_word)  # "补助"
    if context_measure and WHAT_IF.search(text):
        # "那如果这个月就给他们把失业保险交上呢": the case under discussion, with something changed.
        return Decision("answer", context_measure, "conditions", self_check=True)
    return Decision("unclear", aspect=aspect)


# ---- reading one parsed message (Rasa's /model/parse result, or a tracker's latest_message) ----------
# Shared by the router (through actions/conversation.py) and the staff panel's assist, which calls the
# Rasa server's /model/parse: both decide from the same parse with the same rules.

def entity_values(message: Dict[str, Any], name: str) -> List[str]:
    seen: List[str] = []
    for entity in message.get("entities") or []:
        if entity.get("entity") == name and entity.get("value") not in seen:
            seen.append(entity["value"])
    return seen


def intent_ranking(message: Dict[str, Any]) -> List[Dict[str, Any]]:
    ranking = message.get("intent_ranking") or []
    if not ranking and message.get("intent"):
        ranking = [message["intent"]]
    return [item for item in ranking if item.get("name")]


# English follow-ups ("how much can we get", "材料是啥 pls"): the aspect from plain English words. The
# Chinese phrases are in bot/vocabulary.yml; these few cover what mixed-language follow-ups ask.
ENGLISH_ASPECTS = (("materials", r"\b(documents?|materials?|papers?|what do (i|we) need)\b"),
                   ("amount", r"\b(how much|amount|money|pay|get)\b"),
                   ("deadline", r"\b(deadline|until when|when|expire)\b"),
                   ("process", r"\b(how (do|can|to) (i|we)? ?apply|apply|where|process|steps?)\b"),
                   ("conditions", r"\b(eligible|qualify|conditions?|requirements?|can (i|we))\b"))
LATIN = re.compile(r"[A-Za-z]{2,}")


def english_aspect(text: str) -> Optional[str]:
    lowered = text.lower()
    return next((aspect for aspect, words in ENGLISH_ASPECTS if re.search(words, lowered)), None)


def asked_aspect(message: Dict[str, Any]) -> Optional[str]:
    """The aspect the NLU found asked (one at most; bot/vocabulary.yml ranks competing phrases), or the
    English words' in a mixed-language follow-up."""
    asked = [value for value in entity_values(message, "aspect") if value in ASPECTS]
    if asked:
        return asked[0]
    text = message.get("text") or ""
    return english_aspect(text) if LATIN.search(text) else None


def aspect_guessed(message: Dict[str, Any]) -> bool:
    """The aspect is the classifier's guess for a message no phrase placed ("先说养老的" is no question of process)."""
    return any(e.get("entity") == "aspect" and e.get("decided_by") == "classifier_guess"
               for e in message.get("entities") or [])


def english_follow_up(message: Dict[str, Any]) -> bool:
    """'how much can we get': mostly Latin letters, asking an aspect, naming no measure."""
    text = message.get("text") or ""
    latin = sum(len(word) for word in LATIN.findall(text))
    return latin >= len(text.replace(" ", "")) / 2 and english_aspect(text) is not None \
        and not entity_values(message, "measure")


def situation_measures(message: Dict[str, Any]) -> List[str]:
    """Measures named only inside a stated fact ("失业金一天都没领过", "失业金领完了"): the person's
    situation, not what they ask about."""
    facts = [(e.get("start") or 0, e.get("end") or 0) for e in message.get("entities") or []
             if e.get("entity") == "stated_fact"]
    inside, outside = [], []
    for entity in message.get("entities") or []:
        if entity.get("entity") != "measure":
            continue
        start, end = entity.get("start") or 0, entity.get("end") or 0
        (inside if any(s <= start and end <= e for s, e in facts) else outside).append(entity["value"])
    return [m for m in dict.fromkeys(inside) if m not in outside]


def asked_in_turn(message: Dict[str, Any]) -> List[str]:
    """Measures each named in a question of its own ("一次性留工补助能领吗？稳岗返还呢？"), in the order asked;
    [] unless there are two or more such questions."""
    text = message.get("text") or ""
    ends = [match.end() for match in re.finditer(r"[？?]", text)]
    if len(ends) < 2:
        return []
    by_question: Dict[int, set] = {}
    for entity in message.get("entities") or []:
        if entity.get("entity") == "measure":
            question = sum(1 for end in ends if end <= (entity.get("start") or 0))
            by_question.setdefault(question, set()).add(entity["value"])
    if len(by_question) < 2 or any(len(named) > 1 for named in by_question.values()):
        return []
    ordered = [next(iter(by_question[question])) for question in sorted(by_question)]
    return list(dict.fromkeys(ordered)) if len(set(ordered)) == len(ordered) else []


def asked_measures(message: Dict[str, Any]) -> List[str]:
    """The measures named, or, when several are and the last clause names just one ("没领过失业金，能领失业
    补助金吗"), that one: the others are the situation, not the question."""
    named = entity_values(message, "measure")
    situation = situation_measures(message)
    if situation and len(situation) < len(named):
        named = [m for m in named if m not in situation]  # "失业金领完了还是没找着工作，失业补助金能领吗"
    text = message.get("text") or ""
    if len(named) < 2 or COMPARISON.search(text):
        return named
    clause_start = max(text.rfind(mark) for mark in "，,。；;！!") + 1
    last = [e["value"] for e in message.get("entities") or []
            if e.get("entity") == "measure" and (e.get("start") or 0) >= clause_start]
    return last if len(set(last)) == 1 else named


def mentioned_facts(message: Dict[str, Any], after: int = 0) -> Dict[str, Any]:
    """Fact values the message itself reveals ("做餐饮的小企业"), from the NLU's fact entities; `after`: only
    those named from that character on ("小型企业，不对，会计说是微型的": what follows the correction)."""
    found: Dict[str, Any] = {}
    for entity in message.get("entities") or []:
        if entity.get("entity") in kb().facts and (entity.get("start") or 0) >= after:
            found.setdefault(entity["entity"], entity.get("value"))
    return found


# "今年招了4个应届生", "8月份招的": when graduates were hired, against the day the question is asked.
HIRED_WHEN = re.compile(r"(今年|去年|前年|(?:20)?(\d{2})年|\d{1,2}月份?|上个月|这个月|年初|年底)[^，,。；]{0,3}"
                        r"(?:招|录用|吸纳|新招|入职|进来|进的|进厂|进公司|上岗|来的|收了|收的)")


def hiring_year(text: str, today: date) -> Optional[int]:
    match = HIRED_WHEN.search(text)
    if not match:
        return None
    word = match.group(1)
    if match.group(2):
        return 2000 + int(match.group(2))
    return today.year - {"去年": 1, "前年": 2}.get(word, 0)


def stated_facts(message: Dict[str, Any], measure: Optional[str], known: Optional[Dict[str, Any]] = None,
                 today: Optional[date] = None, prefer: Sequence[str] = ()) -> Dict[str, Any]:
    """Facts the message states in passing ("参保60来号人，裁了3个"), each taken as the fact the measure's
    rule reads (all 19 rules when no measure is in view)."""
    mentions = [e for e in message.get("entities") or [] if e.get("entity") == "stated_fact"
                and not (e.get("role") == PRESUMED and "org_type" in (known or {}))]  # a kind told before wins
    year = hiring_year(message.get("text") or "", today) if today else None
    if year is not None:
        mentions.append({"candidates": ["graduates_hired_in_2022"], "value": year == 2022})
    if not mentions:
        return {}
    def reads(facts: Optional[Dict[str, Any]]) -> List[str]:
        keys: List[str] = []
        for measure_id in [measure] if measure else [m.id for m in kb().measures]:
            try:
                keys += [key for key in facts_read(measure_id, facts) if key not in keys]
            except (FactError, KeyError):
                continue
        return keys

    found = resolve_stated(mentions, reads(known), prefer, known)
    # A fact stated now can open a question the rule reads only then ("大学毕业…一直没找到工作": the
    # graduate's two years are read once the person is a graduate): read the message again with it.
    again = resolve_stated(mentions, reads({**(known or {}), **found}), prefer, known)
    return {**again, **found} if set(again) - set(found) else found


def unambiguous_facts(message: Dict[str, Any], today: date) -> Dict[str, Any]:
    """Stated facts that can only be one fact ("今年招的", "单位给交了失业保险" is not one of them), kept for
    any later check whatever the measure answered now reads."""
    mentions = [e for e in message.get("entities") or []
                if e.get("entity") == "stated_fact" and len(e.get("candidates") or []) == 1]
    year = hiring_year(message.get("text") or "", today)
    if year is not None:
        mentions.append({"candidates": ["graduates_hired_in_2022"], "value": year == 2022})
    return resolve_stated(mentions, [])


# "为啥？", "咋还不行", "凭啥": the person disputes the verdict just given.
WHY = re.compile(r"为啥|为什么|咋还|怎么还|凭啥|凭什么|怎么就不|咋就不|怎么会不")
VERDICT_UNSURE = re.compile(r"不确定|说不好|不好说|说不准|没准|定不了")

# Who is asking ("我们公司") says nothing of which measure a situation fits.
WHO_ASKS = {"applicant", "org_type"}
SITUATION_TIP = 2  # facts a measure's rule reads that the message states, for it to overtake a guess reading none


def ranked_by_situation(message: Dict[str, Any], ranking: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """The intent ranking, with the classifier's unsure first measure moved below the second when the message
    states nothing the first one's rule reads and several facts the second one's does ("合同到期公司不续签了，
    我交了3年失业险，现在没工作" is about 失业保险金, not the rate cut its 失业险 suggests)."""
    if entity_values(message, "measure"):
        return ranking
    measures = [index for index, item in enumerate(ranking) if measure_of_intent(item.get("name"))][:2]
    if len(measures) < 2 or float(ranking[measures[0]].get("confidence") or 0) >= OVERRIDE_NAMED:
        return ranking
    first, second = (measure_of_intent(ranking[index]["name"]) for index in measures)
    if set(stated_facts(message, first)) - WHO_ASKS or len(set(stated_facts(message, second)) - WHO_ASKS) < SITUATION_TIP:
        return ranking
    reordered = list(ranking)
    reordered[measures[0]], reordered[measures[1]] = (
        {**ranking[measures[1]], "confidence": ranking[measures[0]].get("confidence")},
        {**ranking[measures[0]], "confidence": ranking[measures[1]].get("confidence")})
    return reordered


def decide(message: Dict[str, Any], context_measure: Optional[str] = None,
           context_aspect: Optional[str] = None) -> Decision:
    """resolve() applied to one parsed message, in the context of the measure and aspect under discussion."""
    if context_measure and english_follow_up(message):
        return Decision("answer", context_measure, asked_aspect(message))
    ranking = ranked_by_situation(message, intent_ranking(message))
    aspect, measures = asked_aspect(message), asked_measures(message)
    text = (message.get("text") or "").strip()
    if context_measure and WHY.search(text) and not measures and aspect in (None, "overview", "conditions", "process"):
        # "为啥？我们也给他们交失业保险了啊", "条件都够了咋还说不确定": why the verdict is what it is — the
        # conditions, or, where the region has yet to set the procedure, the procedure.
        pending = kb().measure(context_measure).procedure_pending
        aspect = "process" if pending and VERDICT_UNSURE.search(text) else "conditions"
    intent = (message.get("intent") or {}).get("name")
    if ranking and measure_of_intent(intent) and ranking[0].get("name") != intent:
        intent = ranking[0].get("name")
    return resolve(
        intent=intent, ranking=ranking,
        measures=measures, topics=entity_values(message, "topic"),
        aspect=aspect, out_of_scope_terms=entity_values(message, "out_of_scope"),
        self_check=bool(entity_values(message, "self_check")),
        context_measure=context_measure, context_aspect=context_aspect, text=text,
        situation=situation_measures(message), asked_in_turn=asked_in_turn(message))
