"""Which measure and aspect a message is about, from what the NLU produced."""
from __future__ import annotations

from actions.resolution import resolve


def rank(*pairs):
    return [{"name": name, "confidence": confidence} for name, confidence in pairs]


def decide(**kwargs):
    base = dict(intent=None, ranking=[], measures=[], topics=[], aspect=None)
    base.update(kwargs)
    if base["ranking"] and base["intent"] is None:
        base["intent"] = base["ranking"][0]["name"]
    return resolve(**base)


def test_named_measure_is_answered_with_its_aspect():
    d = decide(measures=["job_expansion_subsidy"], aspect="amount", ranking=rank(("ask_job_expansion_subsidy", 0.9)))
    assert (d.kind, d.measure, d.aspect) == ("answer", "job_expansion_subsidy", "amount")


def test_without_an_aspect_the_overview_is_given():
    assert decide(measures=["startup_loan"]).aspect == "overview"


def test_a_confident_classifier_overrules_a_name_used_in_passing():
    d = decide(measures=["unemployment_benefit"], ranking=rank(("ask_unemployment_allowance", 0.97)))
    assert d.measure == "unemployment_allowance"
    d = decide(measures=["unemployment_benefit"], ranking=rank(("ask_unemployment_allowance", 0.6)))
    assert d.measure == "unemployment_benefit"


def test_two_names_ask_which():
    d = decide(measures=["unemployment_benefit", "unemployment_allowance"], ranking=rank(("ask_followup", 0.5)))
    assert d.kind == "clarify" and d.candidates == ["unemployment_benefit", "unemployment_allowance"]


def test_topic_word_asks_which_unless_the_classifier_is_sure():
    d = decide(topics=["deferral"], aspect="process", ranking=rank(("ask_pension_deferral", 0.6)))
    assert d.kind == "clarify" and d.candidates == ["pension_deferral", "injury_deferral", "unemployment_deferral"]
    assert d.aspect == "process"
    assert decide(topics=["deferral"], ranking=rank(("ask_injury_deferral", 0.95))).measure == "injury_deferral"


def test_two_topics_narrow_to_their_common_measure():
    d = decide(topics=["injury_insurance_fee", "deferral"])
    assert (d.kind, d.measure) == ("answer", "injury_deferral")


def test_out_of_scope_subject_is_declined():
    assert decide(out_of_scope_terms=["公积金"], ranking=rank(("ask_unemployment_benefit", 0.7))).kind == "out_of_scope"
    assert decide(ranking=rank(("out_of_scope", 0.8))).kind == "out_of_scope"


def test_followup_uses_the_measure_under_discussion():
    d = decide(ranking=rank(("ask_followup", 0.9)), aspect="materials", context_measure="job_retention_refund",
               text="那要什么材料？")
    assert (d.kind, d.measure, d.aspect) == ("answer", "job_retention_refund", "materials")
    assert decide(ranking=rank(("ask_followup", 0.9)), aspect="materials", text="要什么材料").kind == "which_measure"


def test_named_measure_without_aspect_keeps_the_previous_aspect():
    d = decide(measures=["graduate_hiring_subsidy"], context_aspect="amount", text="吸纳就业补贴呢")
    assert d.aspect == "amount"


def test_torn_classifier_asks_between_its_two_best():
    d = decide(ranking=rank(("ask_migrant_lump_sum", 0.58), ("ask_temporary_living_allowance", 0.38)))
    assert d.kind == "clarify" and d.candidates == ["migrant_lump_sum", "temporary_living_allowance"]


def test_confident_classifier_answers_a_situation():
    d = decide(ranking=rank(("ask_unemployment_benefit", 0.93), ("ask_unemployment_allowance", 0.03)), aspect="amount")
    assert (d.kind, d.measure) == ("answer", "unemployment_benefit")


def test_first_person_question_starts_a_check_on_the_conditions():
    d = decide(measures=["unemployment_benefit"], self_check=True)
    assert d.self_check and d.aspect == "conditions"
    assert not decide(measures=["unemployment_benefit"], self_check=True, aspect="amount").self_check


def test_small_talk_and_checkup_and_unclear():
    assert decide(ranking=rank(("greet", 0.99))).kind == "smalltalk"
    assert decide(ranking=rank(("policy_checkup", 0.8))).kind == "checkup"
    assert decide(ranking=rank(("nlu_fallback", 0.3), ("ask_startup_loan", 0.2))).kind == "unclear"


def test_narrowing_word_after_an_answer_picks_the_sibling_measure():
    d = decide(topics=["injury_insurance"], context_measure="pension_deferral", context_aspect="conditions",
               text="工伤的呢")
    assert (d.kind, d.measure, d.aspect) == ("answer", "injury_deferral", "conditions")


def test_vague_question_without_context_offers_the_best_guesses():
    ranking = rank(("ask_topic", 0.5), ("ask_retention_training_subsidy", 0.2), ("ask_migrant_lump_sum", 0.15))
    d = decide(ranking=ranking, aspect="process", text="一次性补助怎么申请")
    assert d.kind == "clarify" and d.candidates == ["retention_training_subsidy", "migrant_lump_sum"]
    assert decide(ranking=ranking, aspect="process", text="怎么申请").kind == "which_measure"


def test_an_out_of_scope_word_in_passing_yields_to_a_sure_classifier():
    d = decide(out_of_scope_terms=["医保"], ranking=rank(("ask_unemployment_benefit", 0.93)), text="医保断了能不能领失业的钱")
    assert (d.kind, d.measure) == ("answer", "unemployment_benefit")
    assert decide(out_of_scope_terms=["医保"], ranking=rank(("ask_unemployment_benefit", 0.6))).kind == "out_of_scope"
    assert decide(out_of_scope_terms=["公积金"], ranking=rank(("ask_unemployment_benefit", 0.99))).kind == "out_of_scope"


def test_a_vague_question_with_a_topic_word_asks_even_when_the_classifier_is_sure():
    d = decide(topics=["training"], ranking=rank(("ask_skill_upgrade_subsidy", 0.99)), text="考证有补贴吗")
    assert d.kind == "clarify" and set(d.candidates) == {"skills_training_subsidy", "skill_upgrade_subsidy"}
    d = decide(topics=["training"], ranking=rank(("ask_skill_upgrade_subsidy", 0.99)), text="考证的补贴怎么申请")
    assert (d.kind, d.measure) == ("answer", "skill_upgrade_subsidy")


def test_a_narrowing_word_asked_vaguely_lists_what_it_narrows_to():
    d = decide(topics=["injury_insurance"], ranking=rank(("ask_injury_rate_cut", 0.93)), text="工伤保险这块对企业有什么优惠")
    assert d.kind == "clarify" and d.candidates == ["injury_deferral", "injury_rate_cut"]


def test_a_measure_joined_with_a_topic_offers_both():
    d = decide(measures=["retention_training_subsidy"], topics=["deferral"], text="旅游企业缓缴和留工补助都想了解",
               ranking=rank(("ask_retention_training_subsidy", 0.96)))
    assert d.kind == "clarify" and d.candidates[0] == "retention_training_subsidy"
    assert {"pension_deferral", "injury_deferral", "unemployment_deferral"} <= set(d.candidates)


def test_the_unemployed_are_offered_every_benefit_a_person_out_of_work_could_get():
    d = decide(topics=["unemployment_support"], ranking=rank(("ask_unemployment_allowance", 0.97)), text="没工作了 国家有补助吗")
    assert d.kind == "clarify" and set(d.candidates) == {
        "unemployment_benefit", "unemployment_allowance", "temporary_living_allowance", "migrant_lump_sum"}


# ---- reading a parsed message (actions.resolution helpers the router uses) ----------------------------

from datetime import date  # noqa: E402

from actions.resolution import (asked_measures, cannot_do, decide as decide_message, declares,  # noqa: E402
                                asked_in_turn, asks_the_same, english_follow_up, hiring_year,
                                is_farewell, is_leaving)


def _measure(value, start):
    return {"entity": "measure", "value": value, "start": start, "end": start + 3}


def test_of_two_names_the_last_clause_asks():
    message = {"text": "没领过失业金，能领失业补助金吗",
               "entities": [_measure("unemployment_benefit", 3), _measure("unemployment_allowance", 9)]}
    assert asked_measures(message) == ["unemployment_allowance"]
    both = {"text": "失业金和失业补助金有什么区别", "entities": [_measure("unemployment_benefit", 0),
                                                       _measure("unemployment_allowance", 4)]}
    assert asked_measures(both) == ["unemployment_benefit", "unemployment_allowance"]


def test_an_english_follow_up_stays_on_the_measure():
    message = {"text": "how much can we get", "entities": [], "intent": {"name": "out_of_scope", "confidence": 0.8}}
    assert english_follow_up(message)
    decision = decide_message(message, "job_retention_refund")
    assert (decision.kind, decision.measure, decision.aspect) == ("answer", "job_retention_refund", "amount")
    assert not english_follow_up({"text": "稳岗返还 how much", "entities": [_measure("job_retention_refund", 0)]})


def test_what_the_bot_cannot_do():
    assert cannot_do("帮我查一下我的稳岗返还申请到哪一步了") == "application_status"
    assert cannot_do("你们能给我回个电话吗") == "callback"
    assert cannot_do("记一下我的手机号") == "store_contact"
    assert cannot_do("稳岗返还的联系电话是多少") is None
    assert cannot_do("失业金多久到账") is None  # how long it takes is the process, not one application's status


def test_statements_and_questions():
    assert declares("我们基地是企业性质的") and not declares("能领多少") and not declares("工伤保险也能缓吗")


def test_when_graduates_were_hired():
    today = date(2022, 9, 1)
    assert hiring_year("今年招了4个应届毕业生", today) == 2022
    assert hiring_year("8月份招了3个应届生", today) == 2022
    assert hiring_year("去年招的", today) == 2021
    assert hiring_year("招了3个", today) is None


def test_a_generic_word_alone_lists_every_measure_named_with_it():
    d = decide(text="补助")
    assert d.kind == "clarify" and d.candidates == ["retention_training_subsidy", "job_expansion_subsidy",
                                                    "migrant_lump_sum", "unemployment_allowance",
                                                    "temporary_living_allowance"]
    d = decide(aspect="process", text="补贴钱打到哪")
    assert d.kind == "clarify" and "startup_service_subsidy" in d.candidates and "startup_loan" not in d.candidates


def test_a_sum_shared_by_several_measures_asks_which():
    d = decide(intent="inform", ranking=rank(("inform", 0.7)), text="那个1500的")
    assert d.kind == "clarify" and set(d.candidates) == {"job_expansion_subsidy", "graduate_hiring_subsidy",
                                                         "skill_upgrade_subsidy", "startup_service_subsidy"}
    d = decide(ranking=rank(("ask_job_expansion_subsidy", 0.8)), text="每人一千五的补贴")
    assert d.kind == "clarify" and d.candidates[0] == "job_expansion_subsidy"
    assert decide(ranking=rank(("ask_startup_loan", 0.9)), text="贷款20万").kind == "answer"  # one measure pays it


def test_two_narrowing_words_joined_list_both_measures():
    d = decide(measures=["pension_deferral"], topics=["pension_insurance", "unemployment_insurance", "deferral"],
               text="养老保险和失业保险的缓缴")
    assert d.kind == "clarify" and d.candidates == ["pension_deferral", "unemployment_deferral"]


def test_which_pays_more_is_a_comparison():
    d = decide(measures=["unemployment_benefit", "unemployment_allowance"],
               ranking=rank(("ask_unemployment_allowance", 0.8)), text="失业保险金和失业补助金哪个钱多")
    assert d.kind == "clarify"


def test_a_measure_asked_by_name_in_the_last_clause_is_not_overruled():
    asked = decide(measures=["unemployment_benefit"], aspect="conditions", text="我是农民工，合同到期老板不续了，失业金能领吗",
                   ranking=rank(("ask_migrant_lump_sum", 0.95), ("ask_unemployment_benefit", 0.04)))
    assert asked.kind == "answer" and asked.measure == "unemployment_benefit"
    in_passing = decide(measures=["unemployment_benefit"], aspect="conditions", text="不够领失业金 还有别的补助能领吗",
                        ranking=rank(("ask_unemployment_allowance", 0.95), ("ask_unemployment_benefit", 0.04)))
    assert in_passing.measure == "unemployment_allowance"


def test_a_measure_named_only_in_the_situation_yields_to_a_sure_classifier():
    d = decide(measures=["unemployment_benefit"], situation=["unemployment_benefit"], text="没领过失业金，有啥补助",
               ranking=rank(("ask_temporary_living_allowance", 0.7), ("ask_unemployment_benefit", 0.2)))
    assert d.measure == "temporary_living_allowance"


def test_other_benefits_after_an_answer_list_the_rest_of_its_family():
    d = decide(text="那有啥别的补助没有", context_measure="unemployment_benefit",
               ranking=rank(("ask_topic", 0.6)))
    assert d.kind == "clarify" and "unemployment_benefit" not in d.candidates
    assert {"unemployment_allowance", "temporary_living_allowance"} <= set(d.candidates)


def test_leaving_and_farewells():
    assert is_farewell("OK got it, bye") and is_farewell("谢谢，拜拜") and not is_farewell("拜拜之前问一下失业金怎么领才能快一点")
    assert is_leaving("好吧，等满一年再说，拜拜") and is_leaving("行，那等他满一年再说。谢谢")
    assert not is_leaving("满一年了，能领吗")
    assert decide(ranking=rank(("inform", 0.9)), text="行，那等他满一年再说。谢谢").smalltalk == "thanks"


def test_a_named_out_of_scope_subject_is_declined_before_small_talk():
    d = decide(ranking=rank(("bot_challenge", 0.9)), out_of_scope_terms=["发票"], text="你们能帮忙开个发票吗")
    assert d.kind == "out_of_scope"
    # "在支付宝上能申请吗" asks about applying: not a greeting.
    d = decide(ranking=rank(("greet", 0.9)), aspect="online_entry", context_measure="unemployment_allowance",
               text="在支付宝上能申请吗")
    assert (d.kind, d.measure) == ("answer", "unemployment_allowance")


def test_a_what_if_continues_the_case_under_discussion():
    d = decide(ranking=rank(("nlu_fallback", 0.4)), context_measure="job_expansion_subsidy",
               text="那如果这个月就给他们把失业保险交上呢")
    assert (d.kind, d.measure, d.self_check) == ("answer", "job_expansion_subsidy", True)


def test_the_situation_told_overtakes_an_unsure_guess():
    entities = [{"entity": "stated_fact", "role": role, "value": value, "candidates": [key], "start": 0, "end": 1}
                for role, key, value in (("contract", "contract_ended_or_terminated", True),
                                         ("dismissed", "involuntary_separation", True),
                                         ("status", "employment_status", "unemployed"))]
    message = {"text": "合同到期公司不续签了，我交了3年失业险，现在没工作", "entities": entities,
               "intent": {"name": "ask_unemployment_rate_cut", "confidence": 0.55},
               "intent_ranking": rank(("ask_unemployment_rate_cut", 0.55), ("ask_unemployment_benefit", 0.21))}
    assert decide_message(message).measure == "unemployment_benefit"
    sure = {**message, "intent_ranking": rank(("ask_unemployment_rate_cut", 0.95), ("ask_unemployment_benefit", 0.03))}
    assert decide_message(sure).measure == "unemployment_rate_cut"


def test_the_same_question_about_another_measure():
    assert asks_the_same("失业保险的呢，也一样？") and asks_the_same("那一次性留工补助呢？") and asks_the_same("工伤的也行吗")
    assert not asks_the_same("我们公司参保职工三十个人，去年一个都没裁，这个能领多少呢，麻烦算一下")
    d = decide(topics=["unemployment_insurance"], context_measure="pension_deferral", context_aspect="conditions",
               text="失业保险的呢，也一样？")
    assert (d.kind, d.measure) == ("answer", "unemployment_deferral")


def test_two_measures_asked_one_after_the_other_are_answered_in_turn():
    text = "我们是个体户，给5个人交着失业险。一次性留工补助能领吗？稳岗返还呢？"
    message = {"text": text, "intent": {"name": "ask_job_retention_refund", "confidence": 0.7},
               "intent_ranking": rank(("ask_job_retention_refund", 0.7)),
               "entities": [_measure("retention_training_subsidy", text.index("一次性")),
                            _measure("job_retention_refund", text.index("稳岗"))]}
    assert asked_in_turn(message) == ["retention_training_subsidy", "job_retention_refund"]
    decision = decide_message(message)
    assert (decision.measure, decision.candidates) == ("retention_training_subsidy", ["job_retention_refund"])
    # Both in one question is a comparison or a joint question, not two in turn.
    joined = {**message, "text": "一次性留工补助和稳岗返还能一起领吗？好的？"}
    assert asked_in_turn({**joined, "entities": [_measure("retention_training_subsidy", 0),
                                                 _measure("job_retention_refund", 7)]}) == []


def test_a_statement_that_ends_with_a_farewell():
    assert is_farewell("行吧，都过期了，那没事了，再见")
    assert not is_farewell("那拜拜之前我再问一下，失业金在哪儿领？")
    assert not declares("客运这块不用交材料吧") and declares("好吧")


def test_a_kind_of_unit_told_before_wins_over_the_presumption_of_a_shop():
    from actions.resolution import stated_facts
    message = {"text": "我们开的是饭馆", "entities": [
        {"entity": "stated_fact", "role": "presumed_enterprise", "candidates": ["org_type"], "value": "enterprise"}]}
    assert stated_facts(message, "retention_training_subsidy", {}) == {"org_type": "enterprise"}
    assert "org_type" not in stated_facts(message, "retention_training_subsidy", {"org_type": "individual_business"})
