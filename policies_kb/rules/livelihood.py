"""Measures 12-15: income support for people out of work (保基本民生).

12 失业保险金, 13 农牧民工一次性生活补助, 14 失业补助金, 15 临时生活补助.
"""
from __future__ import annotations

from ..loader import kb
from ..schema import Measure
from . import RULES, rule
from .common import Assessment, Condition, Facts, Route, Status, applicant_fits, judge


def _out_of_work(f: Facts, source: str, unmet: str) -> Condition:
    status = f["employment_status"]
    return judge("out_of_work", source,
                 None if status is None else status in ("unemployed", "receiving_unemployment_benefit"),
                 met="目前处于失业状态", unmet=unmet, unknown="需确认目前是否处于失业状态", needs=["employment_status"])


def _rural_migrant(f: Facts, source: str) -> Condition:
    return judge("rural_migrant_worker", source, f["rural_migrant_worker"], met="属于农牧民工",
                 unmet="本项面向农牧民工", unknown="需确认是否为农牧民工", needs=["rural_migrant_worker"])


@rule("unemployment_benefit")
def unemployment_benefit(f: Facts, m: Measure) -> Assessment:
    months, minimum = f["unemployment_insurance_months"], m.param("min_contribution_years") * 12
    route = Route(None, (
        applicant_fits(f, m),
        _out_of_work(f, "body:12", unmet="失业保险金面向失业人员，目前在职或不属于失业人员的不能申领"),
        judge("contributed_one_year", "body:12", None if months is None else months >= minimum,
              met=f"单位和本人已缴纳失业保险费{months}个月，满1年", unmet=f"失业保险缴费{months}个月，不满1年",
              unknown="需确认失业保险缴费满多少个月", needs=["unemployment_insurance_months"]),
        judge("involuntary", "body:12", f["involuntary_separation"], met="属于非因本人意愿中断就业",
              unmet="本人主动辞职等因本人意愿中断就业的，不符合申领条件",
              unknown="需确认是否非因本人意愿中断就业", needs=["involuntary_separation"]),
        judge("job_seeking", "body:12", f["job_seeking"],
              met="有求职要求（失业登记可先申领失业保险金后再办理）", unmet="须有求职要求",
              unknown="需确认是否有求职要求", needs=["job_seeking"]),
    ))
    return Assessment(routes=[route])


@rule("migrant_lump_sum")
def migrant_lump_sum(f: Facts, m: Measure) -> Assessment:
    months, minimum = f["continuous_work_months"], m.param("min_continuous_work_years") * 12
    route = Route(None, (
        applicant_fits(f, m),
        _rural_migrant(f, "body:13"),
        judge("worked_one_year", "body:13", None if months is None else months >= minimum,
              met=f"在本单位连续工作{months}个月，满1年", unmet=f"在本单位连续工作{months}个月，不满1年",
              unknown="需确认在原单位连续工作了多少个月", needs=["continuous_work_months"]),
        judge("employer_paid", "body:13", f["employer_paid_unemployment_insurance"], met="单位已缴纳失业保险费",
              unmet="单位未缴纳失业保险费", unknown="需确认原单位是否缴纳了失业保险费",
              needs=["employer_paid_unemployment_insurance"]),
        judge("contract_ended", "body:13", f["contract_ended_or_terminated"],
              met="劳动合同期满未续订或提前解除", unmet="须为劳动合同期满未续订或者提前解除劳动合同",
              unknown="需确认劳动合同是否期满未续订或被提前解除", needs=["contract_ended_or_terminated"]),
    ))
    return Assessment(routes=[route])


@rule("unemployment_allowance")
def unemployment_allowance(f: Facts, m: Measure) -> Assessment:
    applicant = applicant_fits(f, m)
    still_unemployed = _out_of_work(f, "body:14", unmet="失业补助金面向仍未就业的失业人员")
    expired = Route("benefit_expired", (
        applicant, still_unemployed,
        judge("benefit_expired", "body:14", f["unemployment_benefit_expired"], met="失业保险金已领取期满仍未就业",
              unmet="失业保险金尚未领取期满", unknown="需确认失业保险金是否已领取期满",
              needs=["unemployment_benefit_expired"]),
    ))
    months = f["unemployment_insurance_months"]
    # 'does not qualify for 失业保险金' is decided by the measure-12 rule itself.
    benefit = RULES["unemployment_benefit"](f, kb().measure("unemployment_benefit"))
    benefit_status = benefit.routes[0].status
    benefit_needs = tuple(k for c in benefit.routes[0].conditions if c.status is Status.UNKNOWN for k in c.needs)
    not_qualified = Route("not_qualified_for_benefit", (
        applicant, still_unemployed,
        judge("insured", "body:14", None if months is None else months > 0, met="依法参加失业保险并缴纳了失业保险费",
              unmet="未缴纳失业保险费", unknown="需确认是否参加失业保险并缴费", needs=["unemployment_insurance_months"]),
        Condition("not_qualified_for_benefit", {Status.MET: Status.UNMET, Status.UNMET: Status.MET}.get(benefit_status, Status.UNKNOWN),
                  {Status.MET: "符合领取失业保险金条件，应申领失业保险金而非失业补助金",
                   Status.UNMET: "不符合领取失业保险金条件"}.get(benefit_status, "需确认是否符合领取失业保险金条件"),
                  "body:14", benefit_needs),
    ))
    return Assessment(routes=[expired, not_qualified])


@rule("temporary_living_allowance")
def temporary_living_allowance(f: Facts, m: Measure) -> Assessment:
    months, limit = f["unemployment_insurance_months"], m.param("max_insured_years") * 12
    route = Route(None, (
        applicant_fits(f, m),
        _rural_migrant(f, "body:15"),
        judge("stopped_after_2021", "body:15", f["stopped_insurance_after_2021"], met="2021年1月1日之后停保",
              unmet="本项面向2021年1月1日之后停保的人员", unknown="需确认是否在2021年1月1日之后停保",
              needs=["stopped_insurance_after_2021"]),
        _out_of_work(f, "body:15", unmet="本项面向停保后一直未就业的人员"),
        judge("insured_under_one_year", "body:15", None if months is None else 0 < months < limit,
              met=f"参保{months}个月，不满1年",
              unmet="未参保缴费" if months == 0 else f"参保{months}个月，已满1年（可了解失业保险金）",
              unknown="需确认参保缴费了多少个月", needs=["unemployment_insurance_months"]),
    ))
    return Assessment(routes=[route])
