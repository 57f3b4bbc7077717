"""What the assist panel shows for what a caller says.

The sentence goes to the running Rasa server's NLU (`POST /model/parse`, the bot's own model: no
second copy in this process), and the parse goes through the router's own rules
(`actions.resolution.decide`). Answers come from `policies_kb.answers.answer()`, the checklist from
`policies_kb.engine.check()` and the fact catalogue, so the panel says exactly what the bot says.
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any, Dict, List, Optional

import aiohttp

from actions.resolution import decide, entity_values, intent_ranking, measure_of_intent, mentioned_facts
from bot import settings
from policies_kb import sources
from policies_kb.answers import Answer, answer
from policies_kb.engine import CheckResult, check, chinese_date, validity_sentence
from policies_kb.facts import FactError, coerce
from policies_kb.facts import describe as describe_fact
from policies_kb.loader import kb
from policies_kb.rules.common import number_text
from policies_kb.schema import ASPECT_LABELS, ASPECTS

MAX_TEXT = 2000          # a caller's sentence, pasted; longer text is cut (the bot's NLU reads no more usefully)
PARSE_TIMEOUT = 5.0      # seconds; the parse itself takes tens of milliseconds
SHOWN_WHEN_UNSURE = 3
SUGGESTION_FLOOR = 0.05  # a classifier guess below this is noise, not worth showing
TOPPED_UP = ("clarify", "unclear", "which_measure")  # decisions where the classifier's guesses help the agent
HOTLINE = "12333"
SMS_SINGLE = 70          # characters of one Chinese SMS; longer ones are sent in parts of 67
SMS_PART = 67

NOTICES = {
    "clarify": "来电人的说法可能指以下几项政策，请向来电人确认是哪一项。",
    "unclear": "没能确定来电人问的是哪一项政策，以下是最接近的几项，请向来电人确认。",
    "which_measure": "来电人问了具体问题，但没有说是哪一项政策，请向来电人确认。",
    "out_of_scope": f"这个问题不在19项稳经济政策范围内，可请来电人咨询相关部门或拨打{HOTLINE}转接。",
    "smalltalk": "没有识别到具体政策问题。",
    "acknowledge": "没有识别到具体政策问题。",
    "checkup": "来电人想做“政策体检”：请先确认来电人是单位还是个人，再逐项选择政策核对条件。",
}


class RasaUnavailable(Exception):
    """The Rasa server did not answer the parse."""


async def parse(client: aiohttp.ClientSession, text: str) -> Dict[str, Any]:
    """The bot's NLU result for one sentence (intent, ranking, entities), from the Rasa HTTP API."""
    try:
        async with client.post(f"{settings.rasa_url()}/model/parse", params={"token": settings.api_token()},
                               json={"text": text}, timeout=aiohttp.ClientTimeout(total=PARSE_TIMEOUT)) as response:
            if response.status != 200:
                raise RasaUnavailable(f"HTTP {response.status}")
            return await response.json()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise RasaUnavailable(str(error)) from error


def _known_facts(message: Dict[str, Any]) -> Dict[str, Any]:
    """Facts the sentence reveals, as the engine reads them; a value the engine refuses is left out."""
    facts: Dict[str, Any] = {}
    for key, value in mentioned_facts(message).items():
        try:
            coerce(key, value)
        except FactError:
            continue
        facts[key] = value
    return facts


def candidates(message: Dict[str, Any], decided: List[str], unsure: bool) -> List[Dict[str, Any]]:
    """The measures to show: the router's choice (or its candidates), topped up to three from the
    classifier's ranking when unsure (guesses above SUGGESTION_FLOOR); each with the classifier's
    confidence and whether the text names it."""
    confidence: Dict[str, float] = {}
    for item in intent_ranking(message):
        measure = measure_of_intent(item.get("name"))
        if measure and measure not in confidence:
            confidence[measure] = float(item.get("confidence") or 0)
    named = entity_values(message, "measure")
    shown = list(dict.fromkeys(decided))
    if unsure:
        for measure in sorted(confidence, key=confidence.get, reverse=True):
            if len(shown) >= SHOWN_WHEN_UNSURE:
                break
            if measure not in shown and confidence[measure] >= SUGGESTION_FLOOR:
                shown.append(measure)
    return [{"measure": m, "number": kb().measure(m).number, "name": kb().measure(m).name,
             "confidence": round(confidence.get(m, 0.0), 3), "named": m in named} for m in shown]


def assist(message: Dict[str, Any], day: date, context_measure: Optional[str] = None,
           context_aspect: Optional[str] = None) -> Dict[str, Any]:
    """The panel's view of one parsed sentence: the router's decision, the measures, and for the
    selected one every aspect's answer and the conditions checklist with the facts the caller mentioned."""
    decision = decide(message, context_measure, context_aspect)
    decided = [decision.measure, *decision.candidates] if decision.kind == "answer" else list(decision.candidates)
    shown = candidates(message, decided, unsure=decision.kind in TOPPED_UP)
    selected = shown[0]["measure"] if shown else None
    facts = _known_facts(message)
    return {
        "decision": decision.kind,
        "notice": NOTICES.get(decision.kind),
        "candidates": shown,
        "selected": selected,
        "aspect": decision.aspect if decision.aspect in ASPECTS else "overview",
        "facts": facts,
        "view": measure_view(selected, facts, day) if selected else None,
    }


# ---- one measure: answers, checklist, SMS -----------------------------------------------------------

def answer_view(reply: Answer) -> Dict[str, Any]:
    return {
        "aspect": reply.aspect,
        "label": ASPECT_LABELS[reply.aspect],
        "heading": reply.heading,
        "statements": [{"text": s.text, "kind": s.kind,
                        "sources": [{"id": i, "label": sources.label(i)} for i in s.sources]}
                       for s in reply.statements],
        "citation": reply.citation(),
        "validity": validity_sentence(reply.measure, reply.as_of),
        "in_force": reply.in_force,
        "entry": reply.entry_line(),
    }


def measure_view(measure: str, facts: Dict[str, Any], day: date) -> Dict[str, Any]:
    """Everything the panel shows about one measure: each aspect's answer (the tabs) and the checklist."""
    spec = kb().measure(measure)
    return {
        "measure": spec.id, "number": spec.number, "name": spec.name,
        "answers": {aspect: answer_view(answer(spec.id, aspect, day)) for aspect in ASPECTS},
        "check": check_view(spec.id, facts, day),
    }


def checklist_fields(measure: str, facts: Dict[str, Any], result: CheckResult, day: date) -> List[Dict[str, Any]]:
    """The facts to show as form controls: those the rule needs with nothing known, those given, and
    those the current answers make necessary (a route's next condition, the facts for the sum)."""
    keys: List[str] = list(check(measure, {}, day).missing_facts)
    for key in [*facts, *result.missing_facts, *result.amount_missing_facts]:
        if key not in keys:
            keys.append(key)
    return [describe_fact(key) for key in keys]


def check_view(measure: str, facts: Dict[str, Any], day: date) -> Dict[str, Any]:
    """The engine's verdict on these facts, the checklist, the entry to apply at and the SMS text.
    Raises FactError for an unknown key or a value of the wrong type."""
    result = check(measure, facts, day)
    sms = sms_text(result)
    return {
        "result": result.to_dict(),
        "fields": checklist_fields(measure, facts, result, day),
        "entry": online_entry(result),
        "sms": {"text": sms, "length": len(sms), "parts": sms_parts(sms)},
    }


def online_entry(result: CheckResult) -> Optional[Dict[str, Any]]:
    """The measure's online-service entry (its first online one; else its first entry at all)."""
    entries = result.service_entries()
    online = [entry for entry in entries if entry["kind"] == "online" and entry["url"]]
    return (online or entries or [None])[0]


def _verdict(result: CheckResult) -> str:
    if result.status == "ended":
        return f"该政策已于{chinese_date(result.ended_on)}执行期满，目前已不能申请"
    if result.status == "not_started":
        return f"该政策自{chinese_date(result.starts_on)}起执行，目前还不能申请"
    if result.status == "eligible":
        return "按您所述情况，符合申请条件"
    if result.status == "not_eligible":
        return "按您所述情况，暂不符合申请条件"
    if result.pending_procedure and not result.missing_facts:
        return "该项待自治区明确操作流程后实施，目前还不能确定能否申领"
    return "是否符合条件还需进一步核实"


def _amount(result: CheckResult) -> Optional[str]:
    if result.amount_yuan is not None:
        prefix = {"maximum": "最高", "minimum": "不低于", "contribution": "每月缴费约"}.get(result.amount_kind, "约")
        return f"金额{prefix}{number_text(result.amount_yuan, '元')}"
    return None


def sms_text(result: CheckResult) -> str:
    """A short text the agent can send by SMS: measure, verdict, amount, where to apply and the link."""
    parts = [f"【{result.measure.name}】{_verdict(result)}"]
    amount = _amount(result) if result.status in ("eligible", "undetermined") else None
    if amount:
        parts.append(amount)
    entry = online_entry(result)
    if entry and result.status in ("eligible", "undetermined"):
        parts.append(f"办理：{entry['name']}" + (f" {entry['url']} " if entry["url"] else ""))
    parts.append(f"详询{HOTLINE}。")
    return "；".join(parts[:-1]) + "。" + parts[-1]


def sms_parts(text: str) -> int:
    return 1 if len(text) <= SMS_SINGLE else math.ceil(len(text) / SMS_PART)
