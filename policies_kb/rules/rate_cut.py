"""Measures 4-5: the reduced work-injury and unemployment insurance rates.

Nobody applies: the social-insurance system applies the rate to every insured unit (and, for
unemployment insurance, every insured person), so the only condition is being insured.
"""
from __future__ import annotations

from ..schema import Measure
from . import rule
from .common import Assessment, Condition, Facts, Route, applicant_fits, judge, number_text, percent_text


def _insured(f: Facts, fact_key: str, insurance: str, rate: str, source: str) -> Condition:
    return judge(fact_key, source, f[fact_key],
                 met=f"已参加{insurance}，无需申请，系统配置参数后自动执行{rate}",
                 unmet=f"未参加{insurance}，不涉及{insurance}费率", unknown=f"需确认是否参加了{insurance}",
                 needs=[fact_key])


@rule("injury_rate_cut")
def injury_rate_cut(f: Facts, m: Measure) -> Assessment:
    insured = _insured(f, "injury_insured", "工伤保险", "降低后的费率", "att:4:process")
    return Assessment(routes=[Route(None, (applicant_fits(f, m), insured))])


@rule("unemployment_rate_cut")
def unemployment_rate_cut(f: Facts, m: Measure) -> Assessment:
    total = percent_text(m.param("total_rate"))
    insured = _insured(f, "unemployment_insured", "失业保险", f"{total}的费率", "att:5:process")
    standard = (f"失业保险费率按{total}执行，用人单位和个人分别执行"
                f"{percent_text(m.param('employer_rate'))}和{percent_text(m.param('employee_rate'))}")
    base = f["unemployment_contribution_base"]
    if base is None:
        return Assessment(routes=[Route(None, (applicant_fits(f, m), insured))], amount_text=standard,
                          amount_needs=["unemployment_contribution_base"])
    employer, employee = base * m.param("employer_rate"), base * m.param("employee_rate")
    calc = (f"按月缴费基数{number_text(base, '元')}计算，单位每月缴纳{number_text(employer, '元')}，"
            f"个人每月缴纳{number_text(employee, '元')}，合计{number_text(base * m.param('total_rate'), '元')}")
    # The amount is a contribution to pay, not money received: the asker's own share, or the total.
    rate = {"organisation": m.param("employer_rate"), "person": m.param("employee_rate")}.get(
        f["applicant"] or "", m.param("total_rate"))
    return Assessment(routes=[Route(None, (applicant_fits(f, m), insured))], amount_text=standard, amount_calc=calc,
                      amount_yuan=round(base * rate, 2), amount_kind="contribution")
