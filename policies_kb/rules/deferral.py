"""Measures 1-3: deferral of the employer's share of pension, work-injury and unemployment insurance.

The three items of the notice are written alike, so one rule serves all three; the measure supplies
its own parameters and citations. Two routes: the 5 特困行业 and the 17 困难行业's 困难企业 (item (1)),
and small and medium units in areas severely hit by the epidemic (item (2)).
"""
from __future__ import annotations

from ..schema import Measure
from . import rule
from .common import (SME_SIZES, Assessment, Condition, Facts, Route, Status, all_of, any_of, applicant_fits,
                     industry_group, industry_label, judge, size_label)


def _in_listed_industry(f: Facts, source: str) -> Condition:
    group = industry_group(f)
    return judge(
        "listed_industry", source, None if group is None else group != "other",
        met=f"所属行业“{industry_label(f)}”在通知所列{'5个特困行业' if group == 'special_hardship' else '17个困难行业'}之内",
        unmet="所属行业不在5个特困行业和17个困难行业之内",
        unknown="需确认所属行业是否属于5个特困行业或17个困难行业",
        needs=["industry"])


def _contribution_record(f: Facts, m: Measure, source: str) -> Condition:
    months, established = f["continuous_contribution_months"], f["months_since_established"]
    limit, young = m.param("min_contribution_months"), m.param("max_months_since_established")
    arrears = f["has_social_insurance_arrears"]
    contributed = judge(
        "contributed", source, None if months is None else months > limit,
        met=f"申请前已连续缴纳三项社保费{months}个月，超过{limit:g}个月",
        unmet=f"连续缴纳{months}个月，未超过{limit:g}个月", unknown="需确认连续缴纳三项社保费的月数",
        needs=["continuous_contribution_months"])
    new_without_arrears = all_of("new_without_arrears", source, [
        judge("new", source, None if established is None else established < young,
              met=f"成立{established}个月，不足{young:g}个月", unmet=f"成立已{established}个月，不属于成立不足{young:g}个月",
              unknown="需确认单位成立了多少个月", needs=["months_since_established"]),
        judge("no_arrears", source, None if arrears is None else not arrears,
              met="没有欠缴三项社会保险费", unmet="有欠缴三项社会保险费",
              unknown="需确认是否欠缴三项社会保险费", needs=["has_social_insurance_arrears"]),
    ], met=f"申请前成立不足{young:g}个月且没有欠缴三项社会保险费")
    return any_of("contribution_record", source, [contributed, new_without_arrears],
                  unmet=f"既未连续缴纳三项社保费超过{limit:g}个月，也不属于成立不足{young:g}个月且无欠缴的单位",
                  unknown=f"需确认是否连续缴纳三项社保费超过{limit:g}个月，或成立不足{young:g}个月且无欠缴")


def _hardship_conditions(f: Facts, m: Measure) -> list:
    """困难企业认定 for the 17 industries; the 5 特困行业 have no extra test in the notice."""
    source = f"body:{m.number}(1)cond"
    group = industry_group(f)
    if group == "special_hardship":
        return [Condition("hardship_identified", Status.MET,
                          "属于5个特困行业，通知未对其另列困难认定条件", f"body:{m.number}(1)")]
    if group == "other":
        return []
    loss, deposits, commits = f["loss_making"], f["deposits_below_min_wage_payroll"], f["commits_to_repay"]
    return [
        _contribution_record(f, m, source),
        judge("loss_making", source, loss, met="企业（单位）亏损", unmet="企业（单位）未亏损",
              unknown="需确认企业（单位）是否亏损", needs=["loss_making"]),
        judge("deposits_short", source, deposits,
              met="申请当月银行存款不足以按最低工资标准支付全体职工工资",
              unmet="申请当月银行存款足以按最低工资标准支付全体职工工资",
              unknown="需确认申请当月银行存款是否不足以按最低工资标准支付全体职工工资",
              needs=["deposits_below_min_wage_payroll"]),
        judge("commits_to_repay", source, commits, met="承诺缓缴期满后足额补缴", unmet="未承诺缓缴期满后足额补缴",
              unknown="需确认是否承诺缓缴期满后足额补缴三项社保费", needs=["commits_to_repay"]),
    ]


def _eligible_unit(f: Facts, m: Measure) -> Condition:
    """中小微企业, 以单位方式参保的个体工商户, or a 事业单位/社会组织 in enterprise pension insurance."""
    source = f"body:{m.number}(2)"
    org_type, size = f["org_type"], f["enterprise_size"]
    if org_type is None:
        return judge("eligible_unit", source, None, met="", unmet="",
                     unknown="需确认单位类型", needs=["org_type"])
    if org_type == "enterprise":
        return judge("eligible_unit", source, None if size is None else size in SME_SIZES,
                     met=f"属于{size_label(size)}（中小微企业）", unmet="大型企业不在本款范围内",
                     unknown="需确认企业规模（大、中、小、微）", needs=["enterprise_size"])
    if org_type == "individual_business":
        return judge("eligible_unit", source, True, met="以单位方式参保的个体工商户", unmet="", unknown="")
    if org_type == "government_department":
        return judge("eligible_unit", source, False, met="", unknown="",
                     unmet="本款面向中小微企业、以单位方式参保的个体工商户，以及参照执行的事业单位、社会组织，不含机关")
    insured = f["enterprise_pension_insured"]
    return judge("eligible_unit", source, insured,
                 met="参加企业职工基本养老保险的事业单位或社会组织，参照执行",
                 unmet="事业单位、社会组织须参加企业职工基本养老保险才参照执行",
                 unknown="需确认是否参加了企业职工基本养老保险", needs=["enterprise_pension_insured"])


def _employer_portion(f: Facts, m: Measure) -> Condition:
    """Only the 单位缴费部分 may be deferred; without a word on it, that is the part asked about."""
    portion, source = f["deferral_portion"], f"body:{m.number}(1)"
    if portion == "employee":
        return Condition("employer_portion", Status.UNMET,
                         "只有单位缴费部分可以缓缴，职工个人缴费部分不在缓缴范围内，须按时缴纳", source)
    return Condition("employer_portion", Status.MET, "缓缴的是单位缴费部分（职工个人缴费部分不能缓缴）", source)


@rule("pension_deferral", "injury_deferral", "unemployment_deferral")
def insurance_deferral(f: Facts, m: Measure) -> Assessment:
    applicant = applicant_fits(f, m)
    portion = _employer_portion(f, m)
    industry_route = Route("hardship_industry", (
        applicant, portion, _in_listed_industry(f, f"body:{m.number}(1)"), *_hardship_conditions(f, m)))
    area, difficulty = f["severe_epidemic_area"], f["temporary_operating_difficulty"]
    source = f"body:{m.number}(2)cond"
    area_route = Route("epidemic_area_sme", (
        applicant, portion,
        _eligible_unit(f, m),
        judge("severe_epidemic_area", source, area, met="所在地区经自治区备案为受疫情影响严重地区",
              unmet="所在地区不是经自治区备案的受疫情影响严重地区",
              unknown="需确认所在旗县区是否经自治区备案为受疫情影响严重地区", needs=["severe_epidemic_area"]),
        judge("temporary_difficulty", f"body:{m.number}(2)", difficulty, met="生产经营出现暂时困难",
              unmet="生产经营未出现暂时困难", unknown="需确认生产经营是否出现暂时困难",
              needs=["temporary_operating_difficulty"]),
    ))
    return Assessment(routes=[industry_route, area_route])
