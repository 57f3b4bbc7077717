"""Conversations in people's own words (issue: hold a real conversation): every fact given is used and
never asked again, the verdict does the arithmetic, corrections and "what if" change the answer.

Each test asserts the verdict, the amount where there is one, and that no question asks for a fact
the person already gave. Written for these tests, not copied from the training data.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Set

from tests.e2e.conftest import Chat


class Dialogue:
    """A conversation that remembers every fact the person stated and fails if one is asked again."""

    def __init__(self, chat: Chat):
        self.chat, self.given, self.asked = chat, set(), []

    def say(self, text: str, gives: Optional[Set[str]] = None) -> List[Dict[str, Any]]:
        self.given |= set(gives or ())
        payloads = self.chat.ask(text)
        for payload in payloads:
            if "asking" in payload:
                fact = payload["asking"]["fact"]
                assert fact not in self.given, f"asked again for {fact} after {text!r}"
                self.asked.append(fact)
        return payloads

    @staticmethod
    def result(payloads: List[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
        return next((p["eligibility"] for p in payloads if "eligibility" in p), None)

    @staticmethod
    def asking(payloads: List[Dict[str, Any]]) -> Optional[str]:
        return next((p["asking"]["fact"] for p in payloads if "asking" in p), None)


def condition(result: Dict[str, Any], condition_id: str) -> Dict[str, Any]:
    return next(c for c in result["conditions"] if c["id"] == condition_id)


def test_a_factory_states_its_case_in_one_breath(chat_2022):
    talk = Dialogue(chat_2022)
    result = talk.result(talk.say("我们厂参保的有60来号人，去年裁了3个，稳岗返还能拿吗？",
                                  {"org_type", "insured_employees", "layoffs_last_year"}))
    assert result["status"] == "eligible"
    assert "3人" in condition(result, "layoff_rate")["text"] and "5%" in condition(result, "layoff_rate")["text"]
    result = talk.result(talk.say("小型企业，去年交了4万多失业保险", {"enterprise_size", "unemployment_insurance_paid_last_year"}))
    assert result["amount_yuan"] == 36000 and "40,000元×90%＝36,000元" in result["amount_text"]


def test_the_layoff_rate_against_the_boundary(chat_2022):
    talk = Dialogue(chat_2022)
    result = talk.result(talk.say("我们公司一百个人参保，去年裁了7个，能申请稳岗返还吗",
                                  {"org_type", "insured_employees", "layoffs_last_year"}))
    assert result["status"] == "not_eligible" and condition(result, "layoff_rate")["status"] == "unmet"
    assert "7%" in condition(result, "layoff_rate")["text"]


def test_resignations_are_not_counted_as_layoffs(chat_2022):
    talk = Dialogue(chat_2022)
    payloads = talk.say("我们公司三十几个员工都参保了，去年走了5个都是自己辞职的，稳岗返还我们能申请吗",
                        {"org_type", "insured_employees"})
    assert talk.asking(payloads) == "layoffs_last_year"
    result = talk.result(talk.say("没有裁员"))
    assert result["status"] == "eligible"


def test_an_answer_to_another_question_is_taken(chat):
    talk = Dialogue(chat)
    assert talk.asking(talk.say("我能领失业金吗")) == "employment_status"
    replies = talk.chat.say("交了两年")  # answers the contribution months, not the question asked
    talk.given.add("unemployment_insurance_months")
    assert any("已记下" in (r.get("text") or "") for r in replies)
    assert [r["custom"]["asking"]["fact"] for r in replies if "asking" in (r.get("custom") or {})] == ["employment_status"]
    payloads = talk.say("被公司辞退了", {"employment_status", "involuntary_separation"})
    assert talk.asking(payloads) == "job_seeking"
    result = talk.result(talk.say("在找工作", {"job_seeking"}))
    assert result["status"] == "eligible"


def test_what_if_i_had_resigned(chat):
    talk = Dialogue(chat)
    result = talk.result(talk.say("我被公司辞退了，失业保险交了三年，一直在找工作，能领失业金吗",
                                  {"employment_status", "involuntary_separation", "unemployment_insurance_months",
                                   "job_seeking"}))
    assert result["status"] == "eligible"
    replies = talk.chat.say("如果我是自己辞职的呢")
    texts = " ".join(r.get("text") or "" for r in replies)
    [changed] = [r["custom"]["eligibility"] for r in replies if "eligibility" in (r.get("custom") or {})]
    assert changed["status"] == "not_eligible" and "原来是：符合" in texts
    assert condition(changed, "involuntary")["status"] == "unmet"


def test_a_correction_naming_a_new_fact(chat):
    talk = Dialogue(chat)
    payloads = talk.say("我能领失业金吗")
    talk.say("失业了", {"employment_status"})
    result = talk.result(talk.say("交了八个月", {"unemployment_insurance_months"}))
    assert result["status"] == "not_eligible"
    payloads = talk.say("不对，交了十四个月", {"unemployment_insurance_months"})
    assert talk.asking(payloads) == "involuntary_separation"


def test_a_short_follow_up_adds_a_fact_to_the_measure_in_view(chat_2022):
    talk = Dialogue(chat_2022)
    talk.say("稳岗返还是什么政策")
    result = talk.result(talk.say("我们公司参保25个人，去年裁了5个", {"org_type", "insured_employees", "layoffs_last_year"}))
    assert result["measure"] == "job_retention_refund" and result["status"] == "eligible"  # 30人以下 ≤20%


def test_partners_loan_cap(chat):
    talk = Dialogue(chat)
    payloads = talk.say("我们四个大学生合伙创业，创业担保贷款最多能贷多少", {"partners"})
    facts_asked = [p["asking"]["fact"] for p in payloads if "asking" in p]
    assert "partners" not in facts_asked


def test_refusing_details_gets_the_standard(chat):
    talk = Dialogue(chat)
    talk.say("我能申请技能提升补贴吗")
    replies = talk.chat.say("这些我不方便说，你就告诉我最多能拿多少")
    [result] = [r["custom"]["eligibility"] for r in replies if "eligibility" in (r.get("custom") or {})]
    assert result["status"] == "undetermined" and "2000元" in result["amount_text"]


def test_an_ended_measure_with_the_case_stated(chat):
    talk = Dialogue(chat)
    replies = talk.chat.say("我们公司参保60人，去年没裁员，能申请稳岗返还吗")
    [result] = [r["custom"]["eligibility"] for r in replies if "eligibility" in (r.get("custom") or {})]
    assert result["status"] == "ended" and result["conditions_met"] is True
    assert any("执行期满" in (r.get("text") or "") for r in replies)
