"""The deterministic half of the NLU: normalisation, measure/topic/aspect matching, fact prefill."""
from __future__ import annotations

import pytest

from bot.components.tokenizer import dictionary_words
from bot.text import normalise, redact
from bot.understanding import understand
from policies_kb.loader import kb


def parse(text):
    return understand(normalise(text))


@pytest.mark.parametrize("text, measure", [
    ("失业金怎么领", "unemployment_benefit"), ("稳岗补贴多少钱", "job_retention_refund"),
    ("留工补贴还有吗", "retention_training_subsidy"), ("失業金怎麼領", "unemployment_benefit"),
    ("穩崗返還", "job_retention_refund"), ("事业金怎么申请", "unemployment_benefit"),
    ("稳钢返还在哪申请", "job_retention_refund"), ("能领失业经不", "unemployment_benefit"),
    ("稳刚返还能领吗", "job_retention_refund"), ("养老保险费缓缴要什么材料", "pension_deferral"),
    ("APP上怎么申请稳岗返还", "job_retention_refund"), ("一次性扩岗补助", "job_expansion_subsidy"),
])
def test_named_measures(text, measure):
    assert parse(text).measures == [measure]


def test_longest_name_wins_over_a_topic_word():
    result = parse("养老保险费缓缴怎么办")
    assert result.measures == ["pension_deferral"] and result.topics == []


@pytest.mark.parametrize("text, topics", [("缓缴怎么办", ["deferral"]), ("降费率的政策", ["rate_cut"]),
                                          ("工伤保险费怎么缓缴", ["injury_insurance_fee", "injury_insurance", "deferral"])])
def test_topics(text, topics):
    assert parse(text).topics == topics and parse(text).measures == []


@pytest.mark.parametrize("text, aspect", [
    ("扩岗补助多少钱", "amount"), ("稳岗返还要什么材料", "materials"), ("失业金归哪个部门管", "office"),
    ("失业金网上能申请吗", "online_entry"), ("吸纳就业补贴能在网上申请吗 还是必须线下交纸质材料", "online_entry"),
    ("留工补助什么时候截止", "deadline"), ("创业担保贷款怎么申请 流程是什么", "process"),
    ("退伍军人能申请创业担保贷款吗", "conditions"), ("技能提升补贴的条件", "conditions"),
    ("阶段性降低工伤保险费率是什么政策", "overview"), ("失业金", None),
    ("我能领那个三个月的钱不", "conditions"),
])
def test_aspects(text, aspect):
    assert parse(text).aspect == aspect


def test_out_of_scope_terms():
    assert parse("公积金怎么提取").out_of_scope_terms == ["公积金"]
    assert parse("我是农村户口，在工地干了一年半").out_of_scope_terms == []


def test_fact_prefill():
    assert parse("我们是做餐饮的小企业，有什么政策").facts() == {"industry": "catering", "enterprise_size": "small"}
    assert parse("公司把我辞退了，每个月能领点钱吗").facts() == {"employment_status": "unemployed"}  # not org_type
    assert parse("失业金怎么领").facts() == {}  # 失业 inside a measure's name says nothing about the asker


def test_self_check():
    assert parse("我们公司能享受稳岗返还吗").self_check
    assert not parse("稳岗返还的条件是什么").self_check


def test_personal_numbers_are_masked_and_length_kept():
    text = "身份证150203199001011234 手机13812345678"
    assert redact(text) == "身份证150203********1234 手机138****5678"
    assert len(normalise(text)) == len(text)


def test_traditional_and_full_width_are_normalised():
    assert normalise("ＡＰＰ上怎麼申請穩崗返還？２０人") == "APP上怎么申请稳岗返还？20人"


def test_jieba_dictionary_holds_every_measure_name_and_alias():
    words = set(dictionary_words())
    for measure in kb().measures:
        assert measure.name in words and set(measure.aliases) <= words | {a for a in measure.aliases if " " in a}
