"""What a conversation remembers: facts told before a check that could not use them, the case told before a
clarifying question, both halves of "where to apply", and the learned reading of an answer whose plain words
say the opposite of what is meant."""
from __future__ import annotations

import asyncio

from actions.eligibility import ValidateEligibilityForm
from actions.respond import ActionRespond
from tests.actions.conftest import custom_payloads, followups, make_tracker, slot_events

AS_OF_2022 = {"as_of": "2022-12-14"}


def respond(dispatcher, tracker):
    return ActionRespond().respond(dispatcher, tracker)


def verdict(dispatcher):
    return next((p["eligibility"] for p in custom_payloads(dispatcher) if "eligibility" in p), None)


def test_a_headcount_told_in_another_check_is_used_by_the_next(dispatcher):
    """"一共五个人" in the check of the rate cut (which does not read it) is the insured headcount of 稳岗返还."""
    slots = {"facts": {"org_type": "social_org", "applicant": "organisation", "unemployment_insured": True},
             "measure": "unemployment_rate_cut", "last_check": "unemployment_rate_cut"}
    tracker = make_tracker("那我们协会能领稳岗返还不？去年一个人都没辞退", "ask_job_retention_refund", slots=slots,
                           metadata=AS_OF_2022, earlier=["我们是个行业协会，降失业保险费率能享受不", "有交失业保险，一共五个人"])
    respond(dispatcher, tracker)
    asked = [p["asking"]["fact"] for p in custom_payloads(dispatcher) if "asking" in p]
    assert "insured_employees" not in asked
    assert any("参保职工人数：5人" in (m.get("text") or "") for m in dispatcher.messages)


def test_without_the_earlier_message_the_headcount_is_asked(dispatcher):
    slots = {"facts": {"org_type": "social_org", "applicant": "organisation", "unemployment_insured": True}}
    tracker = make_tracker("那我们协会能领稳岗返还不？去年一个人都没辞退", "ask_job_retention_refund", slots=slots,
                           metadata=AS_OF_2022)
    events = respond(dispatcher, tracker)
    assert any(e.get("event") == "followup" and e.get("name") == "eligibility_form" for e in events)
    assert "insured_employees" not in (next(e["value"] for e in events if e.get("name") == "facts"))


def test_a_choice_after_a_clarifying_question_judges_the_case_told_before(dispatcher):
    slots = {"clarify_candidates": ["pension_deferral", "injury_deferral", "unemployment_deferral"],
             "clarify_aspect": "conditions", "facts": {"industry": "catering", "org_type": "enterprise"}}
    events = respond(dispatcher, make_tracker("先说养老的", "inform", slots=slots, metadata={"as_of": "2022-08-01"}))
    assert followups(events) == ["eligibility_form"]   # the check runs with what is known, asking only the rest
    assert slot_events(events)["check_measure"] == "pension_deferral"
    assert slot_events(events)["facts"]["industry"] == "catering"


def test_a_choice_with_nothing_told_is_answered_not_judged(dispatcher):
    slots = {"clarify_candidates": ["pension_deferral", "injury_deferral", "unemployment_deferral"],
             "clarify_aspect": "conditions"}
    events = respond(dispatcher, make_tracker("先说养老的", "inform", slots=slots, metadata={"as_of": "2022-08-01"}))
    assert not followups(events) and verdict(dispatcher) is None
    assert custom_payloads(dispatcher)[0]["measure"] == "pension_deferral"


def test_where_to_apply_is_answered_with_the_office_and_the_process(dispatcher):
    respond(dispatcher, make_tracker("失业金去哪领", "ask_unemployment_benefit"))
    aspects = [p.get("aspect") for p in custom_payloads(dispatcher) if p.get("measure") == "unemployment_benefit"]
    assert set(aspects) == {"process", "office"}


def validate(dispatcher, text, pending, entities=None):
    from bot.components.policy_entities import entities_for
    from bot.text import normalise

    found = entities_for(normalise(text)) + list(entities or [])
    slots = {"check_measure": "unemployment_deferral", "facts": {}, "answered_facts": [], "skipped_facts": [],
             "pending_fact": pending}
    tracker = make_tracker(text, "inform", slots=slots, active_loop="eligibility_form", entities=found)
    return asyncio.run(ValidateEligibilityForm().validate_fact_answer(text, dispatcher, tracker, {}))


LEARNED_YES = [{"entity": "learned_answer", "role": "deposits_below_min_wage_payroll", "value": True}]


def test_the_learned_reading_answers_when_the_plain_words_mislead(dispatcher):
    """"撑不到月底" holds a 不 that a word-by-word reading takes for no; the learned reading says yes."""
    text = "卡里就剩三千来块，撑不到月底"
    assert validate(dispatcher, text, "deposits_below_min_wage_payroll")["facts"] == {
        "deposits_below_min_wage_payroll": False}
    assert validate(dispatcher, text, "deposits_below_min_wage_payroll", LEARNED_YES)["facts"] == {
        "deposits_below_min_wage_payroll": True}


def test_a_plain_no_wins_over_the_learned_reading(dispatcher):
    assert validate(dispatcher, "不是", "deposits_below_min_wage_payroll", LEARNED_YES)["facts"] == {
        "deposits_below_min_wage_payroll": False}
