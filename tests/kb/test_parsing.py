"""How typed answers become fact values: Chinese numerals, yes/no variants, everyday names."""
from __future__ import annotations

import pytest

from policies_kb.facts import FactError, coerce, match_enum, parse_bool
from policies_kb.numbers import parse_months, parse_number, parse_ratio


# Numbers as people type them (also read by scripts/compare_numerals.py).
NUMBER_CASES = [
    ("30", 30), ("三十人", 30), ("2万", 20000), ("1.5万元", 15000), ("一千五", 1500), ("一千五百", 1500),
    ("两万五", 25000), ("一百零五", 105), ("十五", 15), ("1万5", 15000), ("1,500元", 1500), ("２０人", 20),
    ("二十万", 200000), ("三百万", 3000000), ("贰拾", 20), ("零", 0), ("大概12个人", 12),
]
# Durations as people say them, in months (also read by scripts/compare_numerals.py).
MONTH_CASES = [("两年", 24), ("一年半", 18), ("2年半", 30), ("6个月", 6), ("半年", 6),
               ("18", 18), ("1年零3个月", 15), ("三年了", 36), ("十二个月", 12),
               ("一年以上", 12), ("签了三年的", 36), ("3年多", 36),
               ("干了两年零两个月", 26), ("交了10个月", 10), ("半年多", 6)]


@pytest.mark.parametrize("text, value", NUMBER_CASES)
def test_numbers(text, value):
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "很多", "不知道", "点"])
def test_no_number(text):
    with pytest.raises(ValueError):
        parse_number(text)


RATIO_CASES = [("5.5%", 0.055), ("百分之五", 0.05), ("百分之五点五", 0.055), ("两成", 0.2), ("0.2", 0.2), ("20", 0.2),
               ("２０％", 0.2)]


@pytest.mark.parametrize("text, value", RATIO_CASES)
def test_ratios(text, value):
    assert parse_ratio(text) == pytest.approx(value)


@pytest.mark.parametrize("text, months", MONTH_CASES)
def test_months(text, months):
    assert parse_months(text) == months


@pytest.mark.parametrize("text, value", [("是", True), ("是的", True), ("有", True), ("对", True), ("嗯", True),
                                         ("yes", True), ("没有", False), ("不是", False), ("无", False), ("否", False),
                                         ("没有欠缴", False), ("No", False), ("不知道呢", None), ("不清楚", None), ("随便", None),
                                         ("我们去年没有欠缴", False), ("合同已经签了", True), ("我们确实亏损了", True)])
def test_yes_no(text, value):
    assert parse_bool(text) is value


@pytest.mark.parametrize("key, text, code", [
    ("industry", "我们是做餐饮的", "catering"), ("industry", "饭店", "catering"), ("industry", "纺织服装", "apparel"),
    ("industry", "纺织", "textile"), ("industry", "KTV", "entertainment"), ("enterprise_size", "小微", "micro"),
    ("certificate_level", "中级", "level4"), ("certificate_level", "高级技师", "level1"),
    ("org_type", "律所", "social_org"), ("startup_person_category", "退伍军人", "veteran"),
])
def test_enum_names(key, text, code):
    assert match_enum(key, text) == code


def test_ambiguous_enum_gives_none():
    assert match_enum("industry", "什么都做") is None


def test_coerce_types():
    assert coerce("insured_employees", "三十人") == 30
    assert coerce("continuous_contribution_months", "两年") == 24
    assert coerce("loss_making", "是的") is True
    assert coerce("unemployment_insurance_paid_last_year", "2万元") == 20000.0
    assert coerce("layoffs_last_year", "没有裁员") == 0 and coerce("graduates_hired", "没有") == 0
    with pytest.raises(FactError):
        coerce("insured_employees", "2.5")
    with pytest.raises(FactError):
        coerce("loss_making", "也许")
    with pytest.raises(FactError):
        coerce("insured_employees", True)


def test_years_and_negative_numbers():
    assert coerce("ui_fund_reserve_years", "两年半") == 2.5
    assert coerce("ui_fund_reserve_years", "18个月") == 1.5
    assert coerce("ui_fund_reserve_years", "3") == 3
    with pytest.raises(FactError, match="below minimum"):
        coerce("insured_employees", "-3")
    assert parse_number("3-5人") == 3  # a range is read by its first number, not as minus five


def test_service_tier_words():
    assert coerce("service_rating_tier", "没评上") == "not_placed"
    assert coerce("service_rating_tier", "还没评估") == "not_rated"
    assert coerce("deferral_portion", "个人部分") == "employee"
    assert coerce("deferral_portion", "单位的") == "employer"
