"""The question-asking forms: parsing replies, corrections, "不知道", questions asked mid-check."""
from __future__ import annotations

import asyncio

from actions.eligibility import ActionAskFactAnswer, ActionEligibilityResult, ValidateEligibilityForm
from actions.checkup import ActionCheckupResult, ValidateCheckupForm
from tests.actions.conftest import custom_payloads, make_tracker, slot_events

CHECK = {"check_measure": "unemployment_benefit", "facts": {}, "answered_facts": [], "skipped_facts": []}


def validate(dispatcher, text, intent="inform", pending="unemployment_insurance_months", slots=None):
    tracker = make_tracker(text, intent, slots={**CHECK, "pending_fact": pending, **(slots or {})},
                           active_loop="eligibility_form")
    return asyncio.run(ValidateEligibilityForm().validate_fact_answer(text, dispatcher, tracker, {}))


def test_number_in_words(dispatcher):
    result = validate(dispatcher, "交了两年")
    assert result["facts"] == {"unemployment_insurance_months": 24} and result["fact_answer"] is None
    assert result["answered_facts"] == ["unemployment_insurance_months"]


def test_yes_no_by_intent_and_by_words(dispatcher):
    assert validate(dispatcher, "对的", "affirm", "involuntary_separation")["facts"] == {"involuntary_separation": True}
    # Left of one's own accord, said of oneself: no job now either (as 被辞退 below).
    assert validate(dispatcher, "我是自己辞职的，不是被辞退", "inform", "involuntary_separation")["facts"] == {
        "involuntary_separation": False, "employment_status": "unemployed"}


def test_enum_by_everyday_name(dispatcher):
    assert validate(dispatcher, "没工作", "inform", "employment_status")["facts"] == {"employment_status": "unemployed"}
    # 被辞退 also says the separation was not the person's own choice: both are taken.
    assert validate(dispatcher, "被公司辞退了", "inform", "employment_status")["facts"] == {
        "employment_status": "unemployed", "involuntary_separation": True}


def test_unsure_skips_the_question(dispatcher):
    result = validate(dispatcher, "不清楚", "inform", "job_seeking")
    assert result["skipped_facts"] == ["job_seeking"] and "facts" not in result


def test_unparseable_reply_gets_a_hint(dispatcher):
    result = validate(dispatcher, "很久很久", "inform", "unemployment_insurance_months")
    assert result == {"fact_answer": None, "failed_fact": "unemployment_insurance_months"}
    assert "请回答一个数字" in dispatcher.messages[0]["text"]


def test_second_unreadable_reply_skips_the_question(dispatcher):
    result = validate(dispatcher, "很久很久", "inform", "unemployment_insurance_months",
                      {"failed_fact": "unemployment_insurance_months"})
    assert result["skipped_facts"] == ["unemployment_insurance_months"]


def test_correction_of_an_earlier_answer(dispatcher):
    slots = {"facts": {"unemployment_insurance_months": 8, "employment_status": "unemployed"},
             "answered_facts": ["employment_status", "unemployment_insurance_months"]}
    result = validate(dispatcher, "不对，我交了两年", "inform", "involuntary_separation", slots)
    assert result["facts"]["unemployment_insurance_months"] == 24
    assert "已更正" in dispatcher.messages[0]["text"]


def test_question_during_the_check_is_answered(dispatcher):
    result = validate(dispatcher, "失业金在哪里申请", "ask_unemployment_benefit", "job_seeking")
    assert result["fact_answer"] is None and "facts" not in result
    assert custom_payloads(dispatcher)[0]["aspect"] == "process"  # "在哪里申请" asks how and where: the process names every channel


def test_required_slots_follow_the_engine():
    form = ValidateEligibilityForm()
    open_check = make_tracker("x", slots={**CHECK}, active_loop="eligibility_form")
    assert asyncio.run(form.required_slots(["fact_answer"], None, open_check, {})) == ["fact_answer"]
    decided = make_tracker("x", slots={**CHECK, "facts": {"employment_status": "employed"}},
                           active_loop="eligibility_form")
    assert asyncio.run(form.required_slots(["fact_answer"], None, decided, {})) == []


def test_ask_action_asks_the_engines_next_question(dispatcher):
    tracker = make_tracker("x", slots={**CHECK}, active_loop="eligibility_form")
    events = asyncio.run(ActionAskFactAnswer().run(dispatcher, tracker, {}))
    assert slot_events(events) == {"pending_fact": "employment_status"}
    assert dispatcher.messages[0]["buttons"]
    assert custom_payloads(dispatcher)[0]["asking"]["fact"] == "employment_status"


def test_result_is_an_eligibility_payload_without_a_top_level_measure(dispatcher):
    facts = {"employment_status": "unemployed", "unemployment_insurance_months": 12,
             "involuntary_separation": True, "job_seeking": True}
    tracker = make_tracker("x", slots={**CHECK, "facts": facts})
    asyncio.run(ActionEligibilityResult().run(dispatcher, tracker, {}))
    [payload] = custom_payloads(dispatcher)
    assert set(payload) == {"eligibility"} and payload["eligibility"]["eligible"] is True
    assert "http://rst.nmg.gov.cn/" in dispatcher.messages[0]["text"]


def test_checkup_asks_applicant_first_then_the_most_useful_fact(dispatcher):
    form = ValidateCheckupForm()
    tracker = make_tracker("x", slots={"facts": {}, "answered_facts": [], "checkup_start": 0},
                           active_loop="checkup_form")
    assert form.next_fact(tracker, {}, []) == "applicant"
    assert form.next_fact(tracker, {"applicant": "person"}, []) == "employment_status"


def test_checkup_result_lists_what_fits(dispatcher):
    facts = {"applicant": "person", "employment_status": "unemployed", "unemployment_insurance_months": 24,
             "involuntary_separation": True, "job_seeking": True}
    asyncio.run(ActionCheckupResult().run(dispatcher, make_tracker("x", slots={"facts": facts}), {}))
    report = custom_payloads(dispatcher)[0]["checkup"]
    assert "unemployment_benefit" in [r["measure"] for r in report["eligible"]]


def test_bare_no_answers_the_question_rather_than_correcting(dispatcher):
    slots = {"facts": {"job_seeking": True}, "answered_facts": ["job_seeking"]}
    result = validate(dispatcher, "不对", "deny", "involuntary_separation", slots)
    # who asks is implied by the person's own facts (policies_kb.facts.implied)
    assert result["facts"] == {"job_seeking": True, "involuntary_separation": False, "applicant": "person"}


def test_signed_without_a_length_records_the_contract_and_asks_the_length(dispatcher):
    slots = {"check_measure": "graduate_hiring_subsidy"}
    result = validate(dispatcher, "签了", "affirm", "graduate_contract_months", slots)
    assert result["facts"] == {"graduate_contract_signed": True} and "failed_fact" not in result
    assert "具体期限" in dispatcher.messages[0]["text"]


def test_contract_length_in_years(dispatcher):
    slots = {"check_measure": "graduate_hiring_subsidy"}
    assert validate(dispatcher, "一年以上", "inform", "graduate_contract_months", slots)["facts"] == {
        "graduate_contract_months": 12}
    assert validate(dispatcher, "签了三年的", "inform", "graduate_contract_months", slots)["facts"] == {
        "graduate_contract_months": 36}


def test_a_how_question_during_the_check_is_answered_not_taken_for_an_answer(dispatcher):
    result = validate(dispatcher, "申请的流程是怎样的", "inform", "startup_person_category", slots={"measure": "startup_loan"})
    assert result["fact_answer"] is None and "facts" not in result
    assert custom_payloads(dispatcher)[0]["aspect"] == "process"
    assert not any("没能" in (m.get("text") or "") for m in dispatcher.messages)


def test_a_value_named_in_a_reply_to_another_question_is_taken(dispatcher):
    slots = {"check_measure": "unemployment_deferral", "measure": "unemployment_deferral",
             "facts": {"industry": "pharmaceutical", "org_type": "enterprise"}}
    result = validate(dispatcher, "我们属于中型企业，所在旗县没被认定为疫情严重地区", "inform", "months_since_established",
                      slots=slots)
    assert result["facts"]["enterprise_size"] == "medium" and result["facts"]["severe_epidemic_area"] is False
    assert "months_since_established" not in result["facts"]


def test_a_reply_that_negates_the_question_answers_no(dispatcher):
    slots = {"check_measure": "skill_upgrade_subsidy"}
    result = validate(dispatcher, "这是第一次申请，今年也没领过", "inform", "same_certificate_claimed_before", slots)
    assert result["facts"]["same_certificate_claimed_before"] is False


def test_echoed_answers():
    from actions.fact_forms import echoed_answer
    from policies_kb.loader import kb

    question = kb().facts["training_reported_before_start"].question
    assert echoed_answer(question, "开班之前没跟人社局报，已经培训完了") is False
    assert echoed_answer(kb().facts["first_startup"].question, "头一回") is True
    assert echoed_answer(kb().facts["provides_startup_services"].question, "服务做了不少") is None  # 不少 is no negation
    # A question that is itself negative is not read by its echo ("存款是否不足…": "不够" is a yes).
    assert echoed_answer(kb().facts["deposits_below_min_wage_payroll"].question, "存款不够") is None


def test_a_question_mid_check_is_answered_not_taken_for_an_answer(dispatcher):
    validate(dispatcher, "每人500是固定的吗", "inform", "org_type", {"check_measure": "retention_training_subsidy"})
    assert not any("没能从您的回答中识别" in (m.get("text") or "") for m in dispatcher.messages)
