"""Whole conversations through the REST channel, checked by the payload contract (README)."""
from __future__ import annotations

import sqlite3

import pytest

from policies_kb.loader import kb
from tests.e2e.conftest import ROOT, Chat

# One plain question per measure, in the words people use.
QUESTIONS = {
    "pension_deferral": "养老保险费缓缴怎么申请", "injury_deferral": "工伤保险费能缓缴吗要什么材料",
    "unemployment_deferral": "失业保险费缓缴到什么时候", "injury_rate_cut": "工伤保险费率降了多少",
    "unemployment_rate_cut": "失业保险费率现在是多少", "job_retention_refund": "稳岗返还能返多少",
    "retention_training_subsidy": "留工补贴每人多少钱", "job_expansion_subsidy": "扩岗补助多少钱",
    "graduate_hiring_subsidy": "吸纳就业补贴要什么材料", "skills_training_subsidy": "职业技能培训补贴找哪个部门",
    "skill_upgrade_subsidy": "技能提升补贴在哪里申请", "unemployment_benefit": "失业金怎么领",
    "migrant_lump_sum": "农民工一次性生活补助的条件", "unemployment_allowance": "失业补助金能领几个月",
    "temporary_living_allowance": "临时生活补助是什么", "startup_loan": "创业担保贷款最多能贷多少",
    "incubator_rent_subsidy": "创业场地租金补贴的申报材料", "startup_service_subsidy": "创业服务补贴什么时候截止",
    "startup_subsidy": "一次性创业补贴怎么申请",
}


def answers(payloads):
    return [p for p in payloads if "measure" in p]


def test_every_measure_is_answered_with_sources_and_entries(chat):
    assert set(QUESTIONS) == {m.id for m in kb().measures}
    for measure, question in QUESTIONS.items():
        # "在哪里申请" is answered with the process and the office: every answer is about the measure asked.
        answer, *also = answers(Chat(chat.url).ask(question))
        assert answer["measure"] == measure and all(a["measure"] == measure for a in also), question
        assert answer["sources"] and isinstance(answer["in_force"], bool)


def test_follow_up_keeps_the_measure(chat):
    chat.ask("稳岗返还的条件是什么")
    [answer] = answers(chat.ask("那要什么材料？"))
    assert (answer["measure"], answer["aspect"]) == ("job_retention_refund", "materials")


def test_ambiguous_question_is_clarified_then_answered(chat):
    payloads = chat.ask("缓缴怎么办")
    assert payloads == [{"clarify": ["pension_deferral", "injury_deferral", "unemployment_deferral"],
                         "aspect": "process"}]
    [answer] = answers(chat.ask("工伤的"))
    assert (answer["measure"], answer["aspect"]) == ("injury_deferral", "process")


@pytest.mark.parametrize("text", ["公积金怎么提取", "明天天气怎么样", "医保报销比例是多少", "个税怎么申报"])
def test_out_of_scope_is_declined(chat, text):
    payloads = Chat(chat.url).ask(text)
    assert any(p.get("out_of_scope") is True for p in payloads) and not answers(payloads)


@pytest.mark.parametrize("text, kind", [("你好", "greet"), ("谢谢", "thanks"), ("你是谁", "bot_challenge"),
                                        ("转人工", "human_handoff"), ("再见", "goodbye")])
def test_small_talk(chat, text, kind):
    payloads = Chat(chat.url).ask(text)
    assert {"smalltalk": kind} in payloads and not answers(payloads)


def test_dates_replay_2022(chat, chat_2022):
    [today] = answers(chat.ask("稳岗返还截止到什么时候"))
    [then] = answers(chat_2022.ask("稳岗返还截止到什么时候"))
    assert today["in_force"] is False and then["in_force"] is True


def _answer_until_result(chat, replies, max_turns=12):
    """Give the replies in order until an eligibility result arrives."""
    for reply in replies[:max_turns]:
        result = next((p["eligibility"] for p in chat.ask(reply) if "eligibility" in p), None)
        if result:
            return result
    raise AssertionError("no eligibility result")


def _answer_by_fact(chat, first_message, answers_by_fact, result_key, max_turns=12):
    """Answer whatever is asked from a table of replies per fact, until a `result_key` payload comes."""
    payloads = chat.ask(first_message)
    for _ in range(max_turns):
        result = next((p[result_key] for p in payloads if result_key in p), None)
        if result:
            return result
        asked = [p["asking"]["fact"] for p in payloads if "asking" in p]
        assert asked, f"neither a question nor a result: {payloads}"
        payloads = chat.ask(answers_by_fact.get(asked[0], "不清楚"))
    raise AssertionError(f"no {result_key} after {max_turns} turns")


def test_personal_eligibility_dialogue(chat):
    payloads = chat.ask("我能申请失业金吗")
    assert answers(payloads)[0]["aspect"] == "conditions"
    asking = [p["asking"]["fact"] for p in payloads if "asking" in p]
    assert asking == ["employment_status"]
    result = _answer_until_result(chat, ["被公司辞退了，现在没工作", "交了两年", "是", "是的"])
    assert result["measure"] == "unemployment_benefit" and result["eligible"] is True
    assert any(entry["url"] == "http://rst.nmg.gov.cn/" for entry in result["service_entries"])


def test_enterprise_eligibility_dialogue_in_2022(chat_2022):
    chat_2022.ask("我们公司能享受稳岗返还吗")
    result = _answer_until_result(chat_2022, ["企业", "三十人", "裁了6个"])
    assert result["eligible"] is True and result["in_force"] is True


def test_pending_procedure_is_never_promised(chat):
    chat.ask("我是退役军人，能申请一次性创业补贴吗")
    result = _answer_until_result(chat, ["是", "干了一年多了，14个月", "带动了2个人", "是"])
    assert result["measure"] == "startup_subsidy" and result["eligible"] is None
    assert result["conditions_met"] is True and result["amount_yuan"] == 5000
    assert any(c["id"] == "procedure_pending" and c["status"] == "unknown" for c in result["conditions"])
    assert "待自治区进一步明确操作流程后实施" in result["summary"]


def test_what_the_2022_check_says_after_the_measure_ended(chat_2022):
    """A check finished on 2022-09-01 and corrected on a later day would still say 已执行期满: the date decides."""
    chat_2022.ask("我们公司能享受稳岗返还吗")
    result = _answer_until_result(chat_2022, ["企业", "三十人", "裁了6个"])
    assert result["status"] == "eligible"
    later = Chat(chat_2022.url, as_of="2023-01-05")
    later.sender = chat_2022.sender
    [replies] = [later.say("不对，裁了5个")]
    [ended] = [r["custom"]["eligibility"] for r in replies if "eligibility" in (r.get("custom") or {})]
    assert ended["eligible"] is False and ended["status"] == "ended" and ended["conditions_met"] is True
    assert any("执行期满" in (r.get("text") or "") for r in replies)


def test_correction_during_the_check(chat):
    chat.ask("我能申请失业金吗")
    chat.ask("失业了")
    chat.ask("交了两年")
    corrected = chat.say("不对，我只交了八个月")
    assert any("已更正" in (reply.get("text") or "") for reply in corrected)
    [result] = [r["custom"]["eligibility"] for r in corrected if "eligibility" in (r.get("custom") or {})]
    assert result["eligible"] is False
    assert any(c["id"] == "contributed_one_year" and c["status"] == "unmet" for c in result["conditions"])


def test_correction_after_the_result_reopens_the_check(chat):
    chat.ask("我能申请失业金吗")
    chat.ask("失业了")
    chat.ask("交了八个月")  # not eligible: fewer than 12 months
    payloads = chat.ask("不对，我交了两年")
    assert [p["asking"]["fact"] for p in payloads if "asking" in p] == ["involuntary_separation"]
    result = _answer_until_result(chat, ["是", "是"])
    assert result["eligible"] is True


def test_cancellation(chat):
    chat.ask("我能申请失业金吗")
    assert {"stopped": True} in chat.ask("算了")
    [answer] = answers(chat.ask("技能提升补贴多少钱"))
    assert answer["measure"] == "skill_upgrade_subsidy"
    assert not answers(chat.ask("算了"))  # outside a check, "算了" is just acknowledged


def test_checkup_for_a_laid_off_person(chat):
    report = _answer_by_fact(chat, "我失业了，帮我看看有什么政策能享受", {
        "applicant": "个人", "employment_status": "失业", "unemployment_insurance_months": "24个月",
        "involuntary_separation": "是", "job_seeking": "是", "rural_migrant_worker": "不是",
        "startup_person_category": "城镇登记失业人员", "starts_business_in_region": "否", "first_startup": "否",
    }, "checkup")
    assert "unemployment_benefit" in [r["measure"] for r in report["eligible"]]


def test_checkup_for_a_restaurant_in_2022(chat_2022):
    report = _answer_by_fact(chat_2022, "我们是做餐饮的小企业，有什么政策", {
        "org_type": "企业", "insured_employees": "12人", "layoffs_last_year": "没有裁员", "injury_insured": "是",
        "unemployment_insured": "是", "region_had_risk_area_2022": "没有", "severe_epidemic_area": "不是",
        "continuous_contribution_months": "三年", "loss_making": "是", "deposits_below_min_wage_payroll": "是",
        "commits_to_repay": "是", "graduates_hired": "没有",
    }, "checkup")
    eligible = [r["measure"] for r in report["eligible"]]
    assert {"pension_deferral", "job_retention_refund", "retention_training_subsidy"} <= set(eligible)


@pytest.mark.parametrize("text", ["", "   ", "😀😀😀", "啊" * 5000, "<script>alert('x')</script>",
                                  "asdkjh qwe zxcmn", "?？!!", "1234567"])
def test_bad_input_gets_a_sensible_reply(chat, text):
    replies = Chat(chat.url).say(text)
    assert replies, "every message gets a reply"
    joined = " ".join(str(reply.get("text") or "") for reply in replies)
    assert "Traceback" not in joined and "Exception" not in joined
    assert not answers([r["custom"] for r in replies if isinstance(r.get("custom"), dict)])


def test_personal_numbers_are_neither_echoed_nor_stored(chat):
    id_number, phone = "150203199001011234", "13812345678"
    replies = chat.say(f"我的身份证号是{id_number}，电话{phone}，能领失业金吗")
    assert all(id_number not in str(r) and phone not in str(r) for r in replies)
    with sqlite3.connect(ROOT / "var" / "trackers.db") as db:
        stored = " ".join(row[0] for row in db.execute("select data from events where sender_id = ?", (chat.sender,)))
    assert chat.sender and stored and id_number not in stored and phone not in stored
