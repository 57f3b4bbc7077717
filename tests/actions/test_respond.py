"""The router action: answers with their payload, clarifications, declines, starting checks."""
from __future__ import annotations

from actions.respond import ActionRespond
from tests.actions.conftest import custom_payloads, followups, make_tracker, slot_events

TODAY_2022 = {"as_of": "2022-09-01"}


def respond(dispatcher, tracker):
    return ActionRespond().respond(dispatcher, tracker)


def test_question_about_a_named_measure_and_aspect(dispatcher):
    events = respond(dispatcher, make_tracker("稳岗返还要什么材料", "ask_job_retention_refund"))
    [payload] = custom_payloads(dispatcher)
    assert payload["measure"] == "job_retention_refund" and payload["aspect"] == "materials"
    assert payload["sources"] and payload["in_force"] is False
    assert "依据：附件清单第6项" in dispatcher.messages[0]["text"]
    assert slot_events(events)["measure"] == "job_retention_refund"


def test_follow_up_answers_about_the_measure_under_discussion(dispatcher):
    respond(dispatcher, make_tracker("那要什么材料？", "ask_followup", slots={"measure": "job_retention_refund"}))
    [payload] = custom_payloads(dispatcher)
    assert (payload["measure"], payload["aspect"]) == ("job_retention_refund", "materials")


def test_ambiguous_question_gets_buttons_and_no_measure_key(dispatcher):
    events = respond(dispatcher, make_tracker("缓缴怎么办", "ask_topic", 0.9))
    [payload] = custom_payloads(dispatcher)
    assert payload == {"clarify": ["pension_deferral", "injury_deferral", "unemployment_deferral"], "aspect": "process"}
    assert len(dispatcher.messages[0]["buttons"]) == 3
    assert slot_events(events)["clarify_candidates"] == payload["clarify"]


def test_reply_to_a_clarification_by_number_or_name(dispatcher):
    slots = {"clarify_candidates": ["pension_deferral", "injury_deferral", "unemployment_deferral"],
             "clarify_aspect": "process"}
    respond(dispatcher, make_tracker("2", "inform", slots=slots))
    assert custom_payloads(dispatcher)[0]["measure"] == "injury_deferral"
    assert custom_payloads(dispatcher)[0]["aspect"] == "process"
    other = type(dispatcher)()
    respond(other, make_tracker("失业保险的", "inform", slots=slots))
    assert custom_payloads(other)[0]["measure"] == "unemployment_deferral"


def test_button_payload_chooses_the_measure(dispatcher):
    entities = [{"entity": "measure", "value": "pension_deferral"}, {"entity": "aspect", "value": "materials"}]
    respond(dispatcher, make_tracker('/choose_measure{"measure":"pension_deferral"}', "choose_measure",
                                     entities=entities))
    assert custom_payloads(dispatcher)[0]["aspect"] == "materials"


def test_out_of_scope_is_declined_with_the_office_that_handles_it(dispatcher):
    respond(dispatcher, make_tracker("公积金怎么提取", "out_of_scope", 0.9))
    assert custom_payloads(dispatcher) == [{"out_of_scope": True, "referral": {
        "id": "housing_fund", "office": "包头市住房公积金管理中心", "phone": "12329"}}]
    assert "住房公积金管理中心" in dispatcher.messages[0]["text"] and "12333" not in dispatcher.messages[0]["text"]


def test_out_of_scope_without_a_referral_names_both_hotlines(dispatcher):
    respond(dispatcher, make_tracker("给我讲个段子", "out_of_scope", 0.9))
    assert custom_payloads(dispatcher) == [{"out_of_scope": True}]
    assert "12333" in dispatcher.messages[0]["text"] and "12345" in dispatcher.messages[0]["text"]


def test_an_out_of_scope_word_in_passing_does_not_decline_a_measure_question(dispatcher):
    respond(dispatcher, make_tracker("医保断了能不能领失业的钱", "ask_unemployment_benefit", 0.93))
    [payload] = custom_payloads(dispatcher)
    assert payload["measure"] == "unemployment_benefit" and "out_of_scope" not in payload


def test_small_talk(dispatcher):
    respond(dispatcher, make_tracker("你好", "greet", 0.99))
    assert dispatcher.messages[0]["response"] == "utter_greet"


def test_an_answer_taken_is_thanked_for(dispatcher):
    """"ok 知道了" after an answer closes it like a thanks, whatever the classifier makes of it."""
    respond(dispatcher, make_tracker("ok 知道了", "affirm", 0.6, slots={"measure": "unemployment_benefit"}))
    assert dispatcher.messages[0]["response"] == "utter_thanks"


def test_a_tax_question_is_declined_with_the_tax_office(dispatcher):
    respond(dispatcher, make_tracker("公司所得税能不能减免", "ask_followup", 0.5, slots={"measure": "startup_subsidy"}))
    assert custom_payloads(dispatcher)[0]["referral"]["id"] == "tax"


def test_first_person_question_starts_the_eligibility_check_when_in_force(dispatcher):
    events = respond(dispatcher, make_tracker("我能申请失业金吗", "ask_unemployment_benefit"))
    assert custom_payloads(dispatcher)[0]["aspect"] == "conditions"
    assert followups(events) == ["eligibility_form"]
    assert slot_events(events)["check_measure"] == "unemployment_benefit"


def test_no_check_for_a_measure_that_has_ended(dispatcher):
    events = respond(dispatcher, make_tracker("我们公司能享受稳岗返还吗", "ask_job_retention_refund"))
    assert followups(events) == []
    result = custom_payloads(dispatcher)[1]["eligibility"]
    assert result["status"] == "ended" and result["eligible"] is False


def test_metadata_date_replays_2022_and_is_remembered(dispatcher):
    events = respond(dispatcher, make_tracker("我们公司能享受稳岗返还吗", "ask_job_retention_refund",
                                              metadata=TODAY_2022))
    assert custom_payloads(dispatcher)[0]["in_force"] is True
    assert slot_events(events)["as_of"] == "2022-09-01"
    # "我们公司": a company is an enterprise, and the company is asking
    assert slot_events(events)["facts"] == {"org_type": "enterprise", "applicant": "organisation"}
    assert followups(events) == ["eligibility_form"]


def test_checkup_prefills_what_the_message_says(dispatcher):
    events = respond(dispatcher, make_tracker("我们是做餐饮的小企业，有什么政策", "policy_checkup", 0.9))
    facts = slot_events(events)["facts"]
    assert facts == {"industry": "catering", "enterprise_size": "small", "applicant": "organisation"}
    assert followups(events) == ["checkup_form"]


def test_correction_after_a_result_reruns_the_check(dispatcher):
    slots = {"last_check": "unemployment_benefit", "answered_facts": ["employment_status", "unemployment_insurance_months"],
             "facts": {"employment_status": "unemployed", "unemployment_insurance_months": 8,
                       "involuntary_separation": True, "job_seeking": True}}
    events = respond(dispatcher, make_tracker("不对，我交了两年", "inform", slots=slots))
    assert slot_events(events)["facts"]["unemployment_insurance_months"] == 24
    result = custom_payloads(dispatcher)[-1]["eligibility"]
    assert result["eligible"] is True and "measure" not in custom_payloads(dispatcher)[-1]


def test_unclear_message(dispatcher):
    respond(dispatcher, make_tracker("嗯嗯那个啥", "nlu_fallback", 0.2))
    assert custom_payloads(dispatcher) == [{"unclear": True}]


def test_server_wide_date_from_the_environment(dispatcher, monkeypatch):
    monkeypatch.setenv("POLICYBOT_AS_OF", "2022-09-01")
    respond(dispatcher, make_tracker("稳岗返还什么时候截止", "ask_job_retention_refund"))
    payload = custom_payloads(dispatcher)[0]
    assert payload["as_of"] == "2022-09-01" and payload["in_force"] is True


def test_an_ended_measure_asked_about_is_also_given_its_ended_verdict(dispatcher):
    respond(dispatcher, make_tracker("稳岗返还今年还有没有", "ask_job_retention_refund"))
    payloads = custom_payloads(dispatcher)
    assert payloads[0]["measure"] == "job_retention_refund" and payloads[0]["in_force"] is False
    assert payloads[1]["eligibility"]["status"] == "ended"


def test_a_measure_in_force_asked_about_gets_no_verdict_unasked(dispatcher):
    respond(dispatcher, make_tracker("失业金的申请条件是什么", "ask_unemployment_benefit"))
    assert not any("eligibility" in p for p in custom_payloads(dispatcher))


def test_a_follow_up_keeps_who_asks_beside_the_facts_of_the_case(dispatcher):
    slots = {**TODAY_2022, "measure": "unemployment_rate_cut", "aspect": "amount"}
    respond(dispatcher, make_tracker("我个人每个月交失业保险，缴费基数4500，一个月要交多少", "out_of_scope",
                                     slots=slots))
    result = next(p["eligibility"] for p in custom_payloads(dispatcher) if "eligibility" in p)
    assert result["status"] == "eligible" and result["amount_yuan"] == 22.5


def test_a_measure_named_inside_a_stated_fact_is_the_situation(dispatcher):
    respond(dispatcher, make_tracker("失业金领完了还是没找着工作，失业补助金能领吗", "ask_unemployment_allowance",
                                     slots=TODAY_2022))
    assert "clarify" not in custom_payloads(dispatcher)[0]
    assert custom_payloads(dispatcher)[0]["measure"] == "unemployment_allowance"


def test_when_to_apply_for_a_measure_with_its_procedure_pending_is_answered_with_the_procedure(dispatcher):
    respond(dispatcher, make_tracker("扩岗补助到底什么时候能办", "ask_job_expansion_subsidy", slots=TODAY_2022))
    assert custom_payloads(dispatcher)[0]["aspect"] == "process"
    assert "待自治区进一步明确操作流程后实施" in dispatcher.messages[0]["text"]
