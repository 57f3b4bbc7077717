"""Measures 4-5: the reduced work-injury and unemployment insurance rates.

Nobody applies: the social-insurance system applies the rate to every insured unit (and, for
unemployment insurance, every insured person), so the only condition is being insured.
"""
from __future__ import annotations

from ..schema import Measure
from . import rule
from .common import Assessment, Facts, Route, applicant_fits, judge, percent_text


@rule("injury_rate_cut")
def injury_rate_cut(f: Facts, m: Measure) -> Assessment:
    insured = judge("injury_insured", "att:4:process", f["injury_insured"],
                    met="已参加工伤保险，无需申请，系统配置参数后自动执行降低后的费率",
                    unmet="未参加工伤保险，不涉及工伤保险费率", unknown="需确认是否参加了工伤保险",
                    needs=["injury_insured"])
    return Assessment(routes=[Route(None, (applicant_fits(f, m), insured))],
                      amount_text="通知未写明工伤保险费率降低的具体幅度")


@rule("unemployment_rate_cut")
def unemployment_rate_cut(f: Facts, m: Measure) -> Assessment:
    insured = judge("unemployment_insured", "att:5:process", f["unemployment_insured"],
                    met="已参加失业保险，无需申请，系统配置参数后自动执行1%的费率",
                    unmet="未参加失业保险，不涉及失业保险费率", unknown="需确认是否参加了失业保险",
                    needs=["unemployment_insured"])
    return Assessment(
        routes=[Route(None, (applicant_fits(f, m), insured))],
        amount_text=(f"失业保险费率按{percent_text(m.param('total_rate'))}执行，用人单位和个人分别执行"
                     f"{percent_text(m.param('employer_rate'))}和{percent_text(m.param('employee_rate'))}"),
    )
