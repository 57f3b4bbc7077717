"""What the assistant says, and the machine-readable payload that goes with it.

Payload contract (README.md, "Answer payload"): every reply's `custom` dict has exactly one of
  measure answers   {"measure", "aspect", "sources", "in_force", "service_entries", "as_of"}
  clarification     {"clarify": [measure ids], "aspect": aspect or null}
  decline           {"out_of_scope": true, "referral": {"id", "office", "phone"?}} (referral when the table has one)
  eligibility       {"eligibility": CheckResult.to_dict()} / {"asking": {...}} while collecting facts
  check-up          {"checkup": Checkup.to_dict()}
  anything else     {"smalltalk": intent} / {"unclear": true} / {"which_measure": true} / {"stopped": true}
Only a measure answer has a top-level "measure" key.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Sequence

from bot.referrals import default as referrals_default
from bot.referrals import referral_for
from policies_kb.answers import Answer
from policies_kb.engine import VERDICT_LABELS, CheckResult, Checkup
from policies_kb.loader import kb
from policies_kb.schema import ASPECT_LABELS

HOTLINE = "12333"
Reply = Dict[str, Any]  # keyword arguments for dispatcher.utter_message


def answer_reply(answer: Answer) -> Reply:
    return {"text": answer.text(), "json_message": {**answer.payload(), "as_of": answer.as_of.isoformat()}}


def case_reply(answer: Answer, understood: List[str]) -> Reply:
    """The start of a judgement on the person's own case: the measure answered, what was understood."""
    return {"text": f"{answer.heading}\n好的，按您说的情况（{'；'.join(understood)}）来判断。",
            "json_message": {**answer.payload(), "as_of": answer.as_of.isoformat()}}


def verdict_change(before: str, after: str) -> str:
    """'不符合（原来是：符合）' — how a changed fact moved the verdict."""
    if before == after:
        return f"{VERDICT_LABELS[after]}（结论不变）。"
    return f"{VERDICT_LABELS[after]}（原来是：{VERDICT_LABELS[before]}）。"


def _choice_button(measure_id: str, aspect: Optional[str]) -> Dict[str, str]:
    entities = {"measure": measure_id, **({"aspect": aspect} if aspect else {})}
    payload = "/choose_measure" + json.dumps(entities, ensure_ascii=False)
    return {"title": kb().measure(measure_id).name, "payload": payload}


def clarify_reply(candidates: List[str], aspect: Optional[str], topic_question: Optional[str] = None) -> Reply:
    names = "、".join(f"{i}. {kb().measure(m).name}" for i, m in enumerate(candidates, 1))
    asked = f"该政策的{ASPECT_LABELS[aspect]}" if aspect else "具体内容"
    question = topic_question or "您问的可能是以下几项政策之一，请问是哪一项？"
    return {"text": f"{question}\n{names}\n（回复序号或名称即可，我再为您介绍{asked}。）",
            "buttons": [_choice_button(m, aspect) for m in candidates],
            "json_message": {"clarify": list(candidates), "aspect": aspect}}


def also_asked_reply(measures: List[str], aspect: Optional[str]) -> Reply:
    """'一次性留工补助能领吗？稳岗返还呢？': the first question is answered just before; the others are offered next."""
    names = "、".join(f"“{kb().measure(m).name}”" for m in measures)
    return {"text": f"您还问到了{names}。上面先回答了第一项，点下面的按钮或直接说名称，我接着回答。",
            "buttons": [_choice_button(m, aspect) for m in measures],
            "json_message": {"also_asked": list(measures), "aspect": aspect}}


def which_measure_reply(aspect: Optional[str]) -> Reply:
    asked = ASPECT_LABELS[aspect] if aspect else "情况"
    return {"text": f"请问您想了解哪一项政策的{asked}？例如“稳岗返还”“失业保险金”“创业担保贷款”。"
                    "也可以说“政策体检”，我帮您看看能享受哪些政策。",
            "json_message": {"which_measure": True, "aspect": aspect}}


CANNOT_TEXT = {
    "application_status": "抱歉，我查不到个人或单位的申请进度和审核结果。",
    "callback": "抱歉，我没法回电话或主动联系您。",
    "store_contact": "为保护您的隐私，我不记录手机号等个人信息，也不会据此联系您。",
    "personal_advice": "抱歉，个人去留、是否贷款这类决定我没法替您拿主意，我只能按通知说明政策条件。",
}


def cannot_reply(kind: str, answer: Optional[Answer] = None) -> Reply:
    """What the assistant cannot do, said plainly, and where to go instead: the measure's own service
    entry when one is under discussion, and the 12333 hotline."""
    where = f"如需人工咨询，请拨打{HOTLINE}人社服务热线"
    entries = (answer.payload().get("service_entries") or []) if answer else []
    if kind == "application_status" and entries:
        first = entries[0]
        where = (f"“{answer.measure.name}”的办理情况可以在{first['name']}"
                 + (f"（{first['url']}）" if first.get("url") else "") + f"查询，或拨打{HOTLINE}人社服务热线")
    return {"text": f"{CANNOT_TEXT[kind]}{where}。我可以继续为您解答政策条件、标准和办理方式。",
            "json_message": {"cannot": kind}}


def care_reply(crisis: bool) -> Reply:
    text = "听到您的情况，真的不容易，请先别着急，我们一起看看有哪些政策能帮上忙。"
    if crisis:
        text += "如果您感到撑不下去，请马上联系身边的亲友，遇到紧急情况请拨打110或120。"
    return {"text": text, "json_message": {"care": True}}


def situation_offer_reply() -> Reply:
    """After a word of care, when the message names no measure: ask for the situation instead of declining."""
    return {"text": "您可以跟我说说具体情况，比如是否失业、失业保险交了多久、是否在找工作，我帮您看看能申请哪些补助；"
                    "也可以说“政策体检”，我一项项帮您核对。",
            "json_message": {"which_measure": True, "aspect": None}}


def out_of_scope_reply(terms: Sequence[str] = ()) -> Reply:
    """A polite decline that says who does handle the question (bot/referrals.yml), 12333 only where it is right."""
    referral = referral_for(terms)
    scope = "我只解答包头市人社局稳经济一揽子政策（包人社办发〔2022〕78号）中的19项就业和社保政策。"
    if referral is None or referral.office is None:
        subject = referral.subject if referral else referrals_default()["subject"]
        return {"text": f"抱歉，{subject}不在我能解答的范围内。{scope}{referrals_default()['advice']}",
                "json_message": {"out_of_scope": True}}
    phone = f"，也可拨打{referral.phone}热线" if referral.phone else ""
    return {"text": f"抱歉，{referral.subject}不在我能解答的范围内。{scope}建议您咨询{referral.office}{phone}。",
            "json_message": {"out_of_scope": True, "referral": {"id": referral.id, "office": referral.office,
                                                                **({"phone": referral.phone} if referral.phone else {})}}}


def unclear_reply() -> Reply:
    return {"text": "抱歉，我没有完全理解您的问题。您可以换个说法，比如“失业金怎么领”“稳岗返还的条件”"
                    "“我们是餐饮小企业有什么政策”；如需人工服务，请拨打" + HOTLINE + "。",
            "json_message": {"unclear": True}}


def _mark(status: str) -> str:
    return {"met": "✓", "unmet": "✗", "unknown": "?"}[status]


def eligibility_reply(result: CheckResult) -> Reply:
    data = result.to_dict()
    lines = [result.summary()]
    lines += [f"{_mark(c['status'])} {c['text']}（{c['source_label']}）" for c in data["conditions"]
              if c["id"] != "applicant" or c["status"] == "unmet"]  # "本政策面向个人" is said only when it decides
    if data["amount_missing_facts"] and result.eligible is not False:
        lines.append("如需估算具体金额，还需要：" + "、".join(kb().facts[k].label for k in data["amount_missing_facts"]) + "。")
    if result.eligible is None and data["missing_facts"]:
        lines.append("还需确认：" + "、".join(kb().facts[k].label for k in data["missing_facts"]) + "。")
    if result.in_force and result.eligible is not False:
        entries = data["service_entries"]
        if entries:
            first = entries[0]
            lines.append(f"办理入口：{first['name']}" + (f" {first['url']}" if first["url"] else "") + f"（{first['purpose']}）")
    lines += data["notes"]
    lines.append("以上为按通知条件的初步判断，以经办机构审核为准。如有说错的情况，直接说“不对，……”即可更正。")
    return {"text": "\n".join(lines), "json_message": {"eligibility": data}}


def _open_question(result: CheckResult) -> str:
    """What keeps a check-up result open: the facts still needed, or what no answer can settle (流程待定)."""
    if result.missing_facts:
        return "还需了解：" + "、".join(kb().facts[k].label for k in result.missing_facts[:3])
    return next((c.text for c in result.conditions if c.status == "unknown"), "需向经办机构确认")


def checkup_reply(report: Checkup) -> Reply:
    lines = [f"政策体检结果（按{report.as_of.year}年{report.as_of.month}月{report.as_of.day}日的执行情况）："]
    eligible, maybe, ended = report.group("eligible"), report.group("undetermined"), report.group("ended")
    if eligible:
        lines.append("【符合条件，可以申请】")
        lines += [f"· {r.measure.name}" + (f"：{r.amount_text}" if r.amount_text else "") for r in eligible]
    if maybe:
        lines.append("【可能符合，还需确认】")
        lines += [f"· {r.measure.name}（{_open_question(r)}）" for r in maybe]
    if ended:
        lines.append("【已执行期满的政策】" + "、".join(r.measure.name for r in ended))
    if not (eligible or maybe):
        lines.append("按您提供的情况，暂未找到目前可以申请的政策。")
    example = next(iter(eligible + maybe + ended), None)
    lines.append(f"想了解某一项，可以直接问，例如“{example.measure.name if example else '失业保险金'}怎么申请”。")
    return {"text": "\n".join(lines), "json_message": {"checkup": report.to_dict()}}


def question_reply(fact_key: str, checking: Optional[str]) -> Reply:
    """One question for the eligibility dialogue, with answer buttons where the answers are few."""
    spec = kb().facts[fact_key]
    buttons: List[Dict[str, str]] = []
    if spec.type == "bool":
        buttons = [{"title": title, "payload": title} for title in ("是", "否", "不清楚")]
    elif spec.type == "enum":
        values = kb().fact_values(fact_key)
        if len(values) <= 12:
            buttons = [{"title": v.label, "payload": v.label} for v in values]
    return {"text": spec.question, "buttons": buttons,
            "json_message": {"asking": {"fact": fact_key, "type": spec.type, "for": checking}}}


def ended_reply(result: CheckResult) -> Reply:
    """The verdict on a measure that has ended, when nothing about the case was said: it has ended, what it
    gave, and where to look instead (no questions about a case that can no longer apply)."""
    return {"text": f"{result.summary()}\n您可以说“政策体检”，看看目前还能享受哪些政策。",
            "json_message": {"eligibility": result.to_dict()}}
