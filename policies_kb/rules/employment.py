"""Measures 6-11: keeping jobs and creating them (稳岗扩就业).

6 稳岗返还, 7 一次性留工（培训）补助, 8 一次性扩岗补助, 9 一次性吸纳就业补贴,
10 职业技能提升行动培训补贴, 11 技能提升补贴.
"""
from __future__ import annotations

from typing import Optional

from ..schema import Measure
from . import rule
from .common import (SME_SIZES, Assessment, Condition, Facts, Route, Status, applicant_fits, industry_group,
                     industry_label, judge, number_text, percent_text, size_label)


def _insured_staff(f: Facts, source: str) -> Condition:
    staff = f["insured_employees"]
    return judge("insured_staff", source, None if staff is None else staff > 0,
                 met=f"有参保职工{staff}人", unmet="没有参加失业保险的职工，不属于参保单位",
                 unknown="需确认参加失业保险的职工人数", needs=["insured_employees"])


def _unit_insured(f: Facts, source: str) -> Condition:
    """The unit takes part in unemployment insurance: said outright, or shown by its insured staff."""
    insured, staff = f["unemployment_insured"], f["insured_employees"]
    if insured is None and staff is not None:
        insured = staff > 0
    return judge("unit_insured", source, insured, met="单位已参加失业保险",
                 unmet="单位未参加失业保险，不属于参保单位", unknown="需确认单位是否参加了失业保险",
                 needs=["insured_employees"])


def _org_type_in(f: Facts, source: str, allowed: dict, unmet: str) -> Condition:
    """The unit's type is one the clause names; allowed maps org_type codes to the text when met."""
    org_type = f["org_type"]
    return judge("org_type", source, None if org_type is None else org_type in allowed,
                 met=allowed.get(org_type or "", ""), unmet=unmet, unknown="需确认单位类型", needs=["org_type"])


# ---- 6 失业保险稳岗返还 -------------------------------------------------------------------------------

def layoff_rate(layoffs: Optional[int], staff: Optional[int]) -> Optional[float]:
    """上年度裁员人数 ÷ 参保职工人数; the notice does not define the base, this is our stated estimate."""
    if layoffs is None or not staff:
        return None
    return layoffs / staff


def _layoffs_within_cap(f: Facts, m: Measure) -> Condition:
    layoffs, staff = f["layoffs_last_year"], f["insured_employees"]
    if layoffs == 0:
        return Condition("layoff_rate", Status.MET, "上年度未裁员", "body:6")
    small = m.param("small_employer_max_insured")
    cap = None if staff is None else (m.param("small_employer_layoff_rate_cap") if staff <= small
                                      else m.param("layoff_rate_cap"))
    rate = layoff_rate(layoffs, staff)
    band = f"参保职工{small:g}人（含）以下的企业" if staff is not None and staff <= small else "参保企业"
    return judge(
        "layoff_rate", "body:6", None if rate is None or cap is None else rate <= cap,
        met=f"上年度裁员{layoffs}人，裁员率约{percent_text(rate)}，不高于{band}的上限{percent_text(cap)}",
        unmet=f"上年度裁员{layoffs}人，裁员率约{percent_text(rate)}，高于{band}的上限{percent_text(cap)}",
        unknown="需确认上年度裁员人数和参保职工人数", needs=["layoffs_last_year", "insured_employees"])


def _refund_ratio(f: Facts, m: Measure) -> Optional[float]:
    org_type, size = f["org_type"], f["enterprise_size"]
    if org_type in ("social_org", "individual_business"):
        return m.param("refund_ratio_sme")
    if org_type == "enterprise" and size is not None:
        return m.param("refund_ratio_sme") if size in SME_SIZES else m.param("refund_ratio_large")
    return None


@rule("job_retention_refund")
def job_retention_refund(f: Facts, m: Measure) -> Assessment:
    org_type = _org_type_in(
        f, "body:6", {"enterprise": "参保企业", "social_org": "社会组织，参照中小微企业实施",
                      "individual_business": "以单位形式参保的个体工商户，参照中小微企业实施"},
        unmet="通知所列适用对象为参保企业及参照实施的社会组织、个体工商户，不含事业单位")
    route = Route(None, (applicant_fits(f, m), org_type, _unit_insured(f, "body:6"), _insured_staff(f, "body:6"),
                         _layoffs_within_cap(f, m)))
    ratio, paid = _refund_ratio(f, m), f["unemployment_insurance_paid_last_year"]
    amount_needs = [key for key, known in (("enterprise_size", ratio is not None or f["org_type"] != "enterprise"),
                                           ("unemployment_insurance_paid_last_year", paid is not None)) if not known]
    amount = None if ratio is None or paid is None else round(paid * ratio, 2)
    standard = (f"按企业及其职工上年度实际缴纳失业保险费的{percent_text(ratio)}返还" if ratio is not None
                else f"大型企业按上年度实际缴纳失业保险费的{percent_text(m.param('refund_ratio_large'))}返还，"
                     f"中小微企业按{percent_text(m.param('refund_ratio_sme'))}返还")
    calc = None if amount is None else f"{number_text(paid, '元')}×{percent_text(ratio)}＝{number_text(amount, '元')}"
    return Assessment(routes=[route], amount_yuan=amount, amount_kind="exact" if amount is not None else None,
                      amount_text=standard, amount_calc=calc, amount_needs=amount_needs)


# ---- 7 一次性留工（培训）补助 ------------------------------------------------------------------------

@rule("retention_training_subsidy")
def retention_training_subsidy(f: Facts, m: Measure) -> Assessment:
    risk_area, unable = f["region_had_risk_area_2022"], f["unable_to_operate_due_to_epidemic"]
    applicant, staff = applicant_fits(f, m), _insured_staff(f, "body:7")
    unit_insured = _unit_insured(f, "body:7")
    risk_route = Route("risk_area_region", (
        applicant,
        judge("region_had_risk_area", "body:7", risk_area,
              met="2022年所在统筹地区累计出现过中高风险疫情地区", unmet="所在统筹地区2022年未出现中高风险疫情地区",
              unknown="需确认2022年所在统筹地区是否出现过中高风险疫情地区", needs=["region_had_risk_area_2022"]),
        _org_type_in(f, "body:7", {"enterprise": "企业", "social_org": "社会组织，参照实施",
                                   "individual_business": "以单位形式参保的个体工商户，参照实施"},
                     unmet="通知所列对象为企业及参照实施的社会组织、个体工商户，不含事业单位"),
        judge("unable_to_operate", "body:7", unable, met="因疫情严重影响暂时无法正常生产经营",
              unmet="未因疫情严重影响而暂时无法正常生产经营",
              unknown="需确认是否因疫情严重影响暂时无法正常生产经营", needs=["unable_to_operate_due_to_epidemic"]),
        unit_insured, staff,
    ))
    group = industry_group(f)
    industry_route = Route("special_industry_region", (
        applicant,
        judge("region_without_risk_area", "body:7", None if risk_area is None else not risk_area,
              met="所在统筹地区2022年未出现中高风险疫情地区", unmet="所在统筹地区出现过中高风险疫情地区，适用另一款",
              unknown="需确认2022年所在统筹地区是否出现过中高风险疫情地区", needs=["region_had_risk_area_2022"]),
        _org_type_in(f, "body:7", {"enterprise": "企业"}, unmet="本款只适用于5个行业的企业"),
        judge("special_industry", "body:7", None if group is None else group == "special_hardship",
              met=f"属于{industry_label(f)}行业（餐饮、零售、旅游、民航、公路水路铁路运输之一）",
              unmet="不属于餐饮、零售、旅游、民航、公路水路铁路运输5个行业",
              unknown="需确认是否属于餐饮、零售、旅游、民航、公路水路铁路运输行业", needs=["industry"]),
        unit_insured, staff,
    ))
    per_head, count = m.param("per_employee_yuan"), f["insured_employees"]
    amount = None if not count else per_head * count
    return Assessment(routes=[risk_route, industry_route], amount_yuan=amount,
                      amount_kind="exact" if amount else None, amount_text=f"按每名参保职工{per_head:g}元发放",
                      amount_calc=f"{count}人×{per_head:g}元＝{number_text(amount, '元')}" if amount else None)


# ---- 8 一次性扩岗补助, 9 一次性吸纳就业补贴 -------------------------------------------------------------

def _graduates_hired(f: Facts, source: str) -> Condition:
    hired = f["graduates_hired"]
    return judge("graduates_hired", source, None if hired is None else hired > 0,
                 met=f"招用毕业年度高校毕业生{hired}人", unmet="未招用毕业年度高校毕业生",
                 unknown="需确认招用了多少名毕业年度高校毕业生", needs=["graduates_hired"])


def _per_graduate(f: Facts, m: Measure) -> Assessment:
    per_head, hired = m.param("per_graduate_yuan"), f["graduates_hired"]
    amount = per_head * hired if hired else None
    return Assessment(routes=[], amount_yuan=amount, amount_kind="exact" if amount else None,
                      amount_text=f"按每人{per_head:g}元",
                      amount_calc=f"{hired}人×{per_head:g}元＝{number_text(amount, '元')}" if amount else None)


def _contract_signed(f: Facts) -> Optional[bool]:
    """A contract length says a contract was signed (0 means none)."""
    months = f["graduate_contract_months"]
    return f["graduate_contract_signed"] if months is None else months > 0


@rule("job_expansion_subsidy")
def job_expansion_subsidy(f: Facts, m: Measure) -> Assessment:
    months = f["graduate_contract_months"]
    route = Route(None, (
        applicant_fits(f, m),
        _org_type_in(f, "body:8", {"enterprise": "企业"}, unmet="通知规定的对象是招用高校毕业生的企业"),
        _graduates_hired(f, "body:8"),
        judge("hired_in_2022", "body:8", f["graduates_hired_in_2022"], met="在2022年1月1日至12月31日期间招用",
              unmet="不是在2022年1月1日至12月31日期间招用的", unknown="需确认是否在2022年内招用",
              needs=["graduates_hired_in_2022"]),
        judge("signed_contract", "body:8", _contract_signed(f), met="已签订劳动合同",
              unmet="未签订劳动合同", unknown="需确认是否与毕业生签订了劳动合同", needs=["graduate_contract_signed"]),
        judge("unemployment_insured", "body:8", f["graduates_unemployment_insured"], met="已为其参加失业保险",
              unmet="未为其参加失业保险", unknown="需确认是否为这些毕业生参加了失业保险",
              needs=["graduates_unemployment_insured"]),
    ))
    assessment = _per_graduate(f, m)
    assessment.routes = [route]
    return assessment


@rule("graduate_hiring_subsidy")
def graduate_hiring_subsidy(f: Facts, m: Measure) -> Assessment:
    size, months = f["enterprise_size"], f["graduate_contract_months"]
    min_months = m.param("min_contract_years") * 12
    route = Route(None, (
        applicant_fits(f, m),
        _org_type_in(f, "body:9cond", {"enterprise": "企业"}, unmet="本项补贴面向中小微企业"),
        judge("sme", "body:9cond", None if size is None else size in SME_SIZES,
              met=f"属于{size_label(size)}，符合国统字〔2017〕213号中小微企业标准", unmet="大型企业不在本项范围内",
              unknown="需确认企业规模（按国统字〔2017〕213号）", needs=["enterprise_size"]),
        _graduates_hired(f, "body:9cond"),
        judge("contract_one_year", "body:9cond",
              False if _contract_signed(f) is False else None if months is None else months >= min_months,
              met=f"签订{months}个月劳动合同，达到1年以上",
              unmet="未签订劳动合同" if not months else f"劳动合同{months}个月，不足1年",
              unknown="需确认与毕业生签订的劳动合同期限", needs=["graduate_contract_months"]),
    ))
    assessment = _per_graduate(f, m)
    assessment.routes = [route]
    return assessment


# ---- 10 职业技能提升行动培训补贴 -------------------------------------------------------------------

def _district_bureau(f: Facts) -> Optional[bool]:
    """Whether the applicant is a 旗县区 HR bureau; only a 机关 (or a unit of unknown type) can be one."""
    org_type = f["org_type"]
    if org_type is not None and org_type != "government_department":
        return False
    return f["is_district_hrss_department"]


def _fund_extraction(f: Facts, m: Measure, applicant: Optional[str]) -> Route:
    """正文第10项: a district may draw on the unemployment-insurance fund for the special training account."""
    years, reserve = f["ui_fund_reserve_years"], m.param("min_reserve_years")
    return Route("fund_extraction", (
        judge("fund_applicant", "body:10", None if applicant is None else applicant == "organisation",
              met="以单位身份办理", unmet="提取失业保险基金充实专账资金由旗县区人社部门办理，不由个人申请",
              unknown="需确认以单位还是个人身份咨询", needs=["applicant"]),
        judge("district_bureau", "body:10", _district_bureau(f), met="旗县（市、区）人社部门",
              unmet="提取失业保险基金充实专账资金由旗县区人社部门按程序办理，不由企业或培训机构申请",
              unknown="需确认是否为旗县（市、区）人社部门",
              needs=["org_type"] if f["org_type"] is None and f["is_district_hrss_department"] is None
              else ["is_district_hrss_department"]),
        judge("reserve_two_years", "body:10", None if years is None else years >= reserve,
              met=f"上年度失业保险基金滚存结余备付期限{years:g}年，在{reserve:g}年以上" if years is not None else "",
              unmet=f"上年度失业保险基金滚存结余备付期限{years:g}年，不足{reserve:g}年" if years is not None else "",
              unknown="需确认上年度失业保险基金滚存结余备付期限", needs=["ui_fund_reserve_years"]),
        judge("policies_in_place", "body:10", f["stabilisation_policies_in_place"],
              met="各项保生活稳岗位政策已落实到位", unmet="须在各项保生活稳岗位政策落实到位的基础上提取",
              unknown="需确认各项保生活稳岗位政策是否已落实到位", needs=["stabilisation_policies_in_place"]),
        judge("account_insufficient", "body:10", f["special_account_insufficient"],
              met="职业技能提升行动专账资金不足", unmet="专账资金充足的，不需提取失业保险基金",
              unknown="需确认职业技能提升行动专账资金是否不足", needs=["special_account_insufficient"]),
    ))


@rule("skills_training_subsidy")
def skills_training_subsidy(f: Facts, m: Measure) -> Assessment:
    applicant = f["applicant"] or ("organisation" if f.known("org_type") else None)
    org_type, institution, bureau = f["org_type"], f["is_training_institution"], _district_bureau(f)
    organiser_ok = False if bureau else True if org_type == "enterprise" else institution
    organiser = Route("organiser", (
        judge("organiser_applicant", "att:10:process", None if applicant is None else applicant == "organisation",
              met="以单位身份申请", unmet="组织培训的申请由企业或职业技能培训机构提出",
              unknown="需确认以单位还是个人身份申请", needs=["applicant"]),
        judge("organiser_type", "att:10:process", organiser_ok,
              met="企业或职业技能培训机构", unmet="组织培训的须为企业或职业技能培训机构",
              unknown="需确认是否为企业或职业技能培训机构",
              needs=["org_type"] if org_type is None else ["is_training_institution"]),
        judge("reported_before_training", "att:10:process", f["training_reported_before_start"],
              met="开班前已向辖区人社部门提出申请", unmet="须在开展培训前向辖区人社部门提出申请",
              unknown="需确认开班前是否已向辖区人社部门提出申请", needs=["training_reported_before_start"]),
    ))
    kind = f["certificate_kind"]
    trainee = Route("trainee", (
        judge("trainee_applicant", "att:10:process", None if applicant is None else applicant == "person",
              met="以个人身份申请", unmet="个人申请培训补贴须以个人身份提出",
              unknown="需确认以单位还是个人身份申请", needs=["applicant"]),
        judge("target_group", "att:10:process", f["training_target_group"],
              met="属于企业职工、就业重点群体、脱贫劳动力等补贴性培训对象", unmet="不属于补贴性培训对象",
              unknown="需确认是否属于补贴性培训对象", needs=["training_target_group"]),
        judge("certificate", "att:10:process", None if kind is None else kind != "none",
              met="参加培训并已取得证书", unmet="须参加培训取得证书后才能申请补贴",
              unknown="需确认参加培训后是否取得了证书", needs=["certificate_kind"]),
    ))
    routes = [organiser, trainee, _fund_extraction(f, m, applicant)]
    if not bureau:
        return Assessment(routes=routes)
    share, balance = m.param("fund_max_share"), f["ui_fund_accumulated_balance"]
    cap = None if balance is None else round(balance * share, 2)
    return Assessment(routes=routes, amount_yuan=cap, amount_kind="maximum" if cap is not None else None,
                      amount_text=f"可提取不超过失业保险基金累计结余{percent_text(share)}的资金充实专账资金",
                      amount_calc=f"{number_text(balance, '元')}×{percent_text(share)}＝{number_text(cap, '元')}"
                      if cap is not None else None,
                      amount_needs=[] if cap is not None else ["ui_fund_accumulated_balance"])


# ---- 11 技能提升补贴 ---------------------------------------------------------------------------------

_LEVEL_PARAMS = {"level5": "level5_yuan", "level4": "level4_yuan", "level3": "level3_yuan"}


@rule("skill_upgrade_subsidy")
def skill_upgrade_subsidy(f: Facts, m: Measure) -> Assessment:
    status, kind, level = f["employment_status"], f["certificate_kind"], f["certificate_level"]
    claims, cap = f["skill_subsidy_claims_this_year"], m.param("max_claims_per_year")
    claimed = f["same_certificate_claimed_before"]
    route = Route(None, (
        applicant_fits(f, m),
        judge("employment_status", "body:11", None if status is None else status in ("employed", "receiving_unemployment_benefit"),
              met="属于企业在职职工或正在领取失业保险金人员", unmet="本项面向企业在职职工和正在领取失业保险金人员",
              unknown="需确认是企业在职职工还是正在领取失业保险金人员", needs=["employment_status"]),
        judge("certificate_kind", "body:11", None if kind is None else kind in ("vocational_qualification", "skill_level"),
              met="取得职业资格证书或职业技能等级证书", unmet="须取得职业资格证书或职业技能等级证书",
              unknown="需确认取得的证书类型", needs=["certificate_kind"]),
        judge("certificate_level", "body:11", None if level is None or level not in _LEVEL_PARAMS else True,
              met="证书等级在通知规定的初级、中级、高级之内", unmet="",
              unknown=("通知只规定了初级（五级）、中级（四级）、高级（三级）的补贴标准，该等级请向经办机构咨询"
                       if level else "需确认证书等级"),
              needs=[] if level else ["certificate_level"]),
        judge("first_time_for_level", "body:11", None if claimed is None else not claimed,
              met="同一职业（工种）同一等级未享受过", unmet="同一职业（工种）同一等级只能申请并享受一次",
              unknown="需确认同一职业同一等级是否已享受过", needs=["same_certificate_claimed_before"]),
        judge("yearly_limit", "body:11", None if claims is None else claims < cap,
              met=f"今年已享受{claims}次，未达每年{cap:g}次上限", unmet=f"每人每年享受补贴次数不超过{cap:g}次，今年已享受{claims}次",
              unknown="需确认今年已享受过几次技能提升补贴", needs=["skill_subsidy_claims_this_year"]),
    ))
    amount = m.param(_LEVEL_PARAMS[level]) if level in _LEVEL_PARAMS else None
    standard = "，".join(f"{label}{m.param(_LEVEL_PARAMS[code]):g}元" for code, label in
                         (("level5", "初级（五级）"), ("level4", "中级（四级）"), ("level3", "高级（三级）")))
    return Assessment(routes=[route], amount_yuan=amount, amount_kind="exact" if amount else None,
                      amount_text=f"按证书等级：{standard}",
                      amount_calc=f"您的等级为{number_text(amount, '元')}" if amount else None)
