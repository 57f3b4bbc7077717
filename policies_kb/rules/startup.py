"""Measures 16-19: support for starting a business (创业).

16 创业担保贷款, 17 创业场地租金补贴, 18 创业服务补贴, 19 一次性创业补贴.
"""
from __future__ import annotations

from ..facts import enum_label
from ..schema import Measure
from . import rule
from .common import Assessment, Condition, Facts, Route, Status, applicant_fits, judge, number_text, percent_text

# Who may borrow (正文第16项 个人创业担保贷款对象范围); every category except 'other'.
LOAN_CATEGORIES = ("registered_unemployed", "hard_to_employ", "disabled", "veteran", "released_prisoner", "graduate",
                   "overcapacity_worker", "returning_migrant", "online_merchant", "registered_poor", "rural_self_employed")
# Who may get the 一次性创业补贴 (正文第19项); the list ends with 等, so others are 'ask the office'.
STARTUP_SUBSIDY_CATEGORIES = ("registered_unemployed", "hard_to_employ", "graduate", "veteran", "returning_migrant",
                              "disabled")


def _months_at_least(id: str, source: str, months, minimum: float, what: str, fact_key: str) -> Condition:
    return judge(id, source, None if months is None else months >= minimum,
                 met=f"{what}{months}个月，满{minimum / 12:g}年", unmet=f"{what}{months}个月，不满{minimum / 12:g}年",
                 unknown=f"需确认{what}多少个月", needs=[fact_key])


# ---- 16 创业担保贷款 ---------------------------------------------------------------------------------

def _personal_loan_cap(f: Facts, m: Measure) -> float:
    cap, partners = m.param("personal_loan_cap_yuan"), f["partners"] or 1
    if partners == 1:
        return cap
    return round(partners * cap * (1 + m.param("partnership_extra_ratio")), 2)


def _new_hire_share(f: Facts, m: Measure) -> Condition:
    hires, staff = f["new_hires_loan_eligible"], f["employees"]
    if staff is None or hires is None:
        return judge("new_hire_share", "body:16", None, met="", unmet="",
                     unknown="需确认现有在职职工人数和当年新招用符合条件人员的人数",
                     needs=["employees", "new_hires_loan_eligible"])
    large = staff > m.param("large_workforce_threshold")
    required = m.param("new_hire_ratio_large") if large else m.param("new_hire_ratio")
    share = hires / staff if staff else 0.0
    band = f"（在职职工超过{m.param('large_workforce_threshold'):g}人的企业为{percent_text(required)}）" if large else ""
    return judge("new_hire_share", "body:16", staff > 0 and share >= required,
                 met=f"当年新招用符合条件人员{hires}人，占在职职工{staff}人的{percent_text(share)}，达到{percent_text(required)}{band}",
                 unmet=f"当年新招用符合条件人员{hires}人，占在职职工{staff}人的{percent_text(share)}，未达到{percent_text(required)}{band}",
                 unknown="")


@rule("startup_loan")
def startup_loan(f: Facts, m: Measure) -> Assessment:
    applicant = f["applicant"] or ("organisation" if f.known("org_type") else None)
    category, size = f["startup_person_category"], f["enterprise_size"]
    personal = Route("personal", (
        judge("personal_applicant", "body:16", None if applicant is None else applicant == "person",
              met="以个人身份申请", unmet="个人贷款须由创业者个人申请", unknown="需确认以个人还是小微企业身份申请",
              needs=["applicant"]),
        judge("borrower_category", "body:16", None if category is None else category in LOAN_CATEGORIES,
              met=f"属于个人创业担保贷款对象：{enum_label('startup_person_category', category) if category else ''}",
              unmet="不在通知所列个人创业担保贷款对象范围内", unknown="需确认属于哪类人员",
              needs=["startup_person_category"]),
        judge("in_region", "body:16", f["starts_business_in_region"], met="在自治区境内创业，不受户籍所在地限制",
              unmet="创业担保贷款面向在自治区境内创业的创业者", unknown="需确认是否在内蒙古自治区境内创业",
              needs=["starts_business_in_region"]),
    ))
    small_business = Route("small_business", (
        judge("business_applicant", "body:16", None if applicant is None else applicant == "organisation",
              met="以小微企业身份申请", unmet="小微企业贷款须由企业申请", unknown="需确认以个人还是小微企业身份申请",
              needs=["applicant"]),
        judge("small_or_micro", "body:16", None if size is None else size in ("small", "micro"),
              met="属于小微企业", unmet="企业贷款面向小微企业", unknown="需确认企业规模", needs=["enterprise_size"]),
        _new_hire_share(f, m),
        judge("contracts_one_year", "body:16", f["new_hires_contract_1y"], met="与新招用人员签订了1年以上劳动合同",
              unmet="须与新招用人员签订1年以上劳动合同", unknown="需确认是否与新招用人员签订1年以上劳动合同",
              needs=["new_hires_contract_1y"]),
        judge("clean_record", "body:16", None if f["serious_credit_violation"] is None else not f["serious_credit_violation"],
              met="无拖欠职工工资、欠缴社会保险费等严重违法违规信用记录",
              unmet="有拖欠职工工资、欠缴社会保险费等严重违法违规信用记录的不能申请",
              unknown="需确认是否有拖欠工资、欠缴社保费等严重违法违规信用记录", needs=["serious_credit_violation"]),
    ))
    if applicant == "organisation":
        cap = m.param("small_business_loan_cap_yuan")
        text = f"小微企业贷款额度最高不超过{number_text(cap, '元')}，期限最长{m.param('small_business_term_years'):g}年"
    else:
        cap = _personal_loan_cap(f, m)
        text = (f"个人贷款额度最高{number_text(m.param('personal_loan_cap_yuan'), '元')}，期限最长"
                f"{m.param('personal_term_years'):g}年，可展期1次（不超过{m.param('extension_years'):g}年）；合伙创业可适当提高，"
                f"最多不超过符合条件个人贷款总额度的{percent_text(m.param('partnership_extra_ratio'))}")
    calc = None
    if applicant != "organisation" and (f["partners"] or 1) > 1:
        calc = (f"{f['partners']}人合伙：{f['partners']}×{number_text(m.param('personal_loan_cap_yuan'), '元')}"
                f"×{1 + m.param('partnership_extra_ratio'):g}，按此估算最高约{number_text(cap, '元')}")
    amount_needs = ["partners"] if applicant != "organisation" and f["partners"] is None else []
    return Assessment(routes=[personal, small_business], amount_yuan=cap, amount_kind="maximum", amount_text=text,
                      amount_calc=calc, amount_needs=amount_needs)


# ---- 17 创业场地租金补贴 ------------------------------------------------------------------------------

@rule("incubator_rent_subsidy")
def incubator_rent_subsidy(f: Facts, m: Measure) -> Assessment:
    tenant = f["tenant_category"]
    route = Route(None, (
        applicant_fits(f, m),
        judge("city_level_base", "body:17", f["city_level_demo_base"], met="属于市级创业孵化示范基地",
              unmet="本项由市级创业孵化示范基地申报", unknown="需确认是否为市级创业孵化示范基地",
              needs=["city_level_demo_base"]),
        judge("tenant_category", "body:17", None if tenant is None else tenant != "other",
              met=f"入驻人员属于{enum_label('tenant_category', tenant) if tenant else ''}",
              unmet="入驻人员须为就业困难人员、毕业5年内高校毕业生或脱贫劳动力", unknown="需确认入驻创业人员的类别",
              needs=["tenant_category"]),
        _months_at_least("one_year_in_park", "body:17", f["tenant_months_in_park"],
                         m.param("min_years_in_park") * 12, "入驻园区创业", "tenant_months_in_park"),
        judge("rent_waived", "body:17", f["rent_waived"], met="基地免除了场地租金", unmet="基地须免收场地租金",
              unknown="需确认是否为入驻人员免除了场地租金", needs=["rent_waived"]),
    ))
    cap = m.param("max_rent_subsidy_yuan")
    return Assessment(routes=[route], amount_yuan=cap, amount_kind="maximum",
                      amount_text=f"按政策标准给予最高{number_text(cap, '元')}场地租金补贴")


# ---- 18 创业服务补贴 ---------------------------------------------------------------------------------

_TIERS = {"tier1": "tier1_yuan", "tier2": "tier2_yuan", "tier3": "tier3_yuan"}


@rule("startup_service_subsidy")
def startup_service_subsidy(f: Facts, m: Measure) -> Assessment:
    org_type, platform, tier = f["org_type"], f["incubator_or_platform"], f["service_rating_tier"]
    provider_ok = True if org_type in ("enterprise", "social_org") else platform
    route = Route(None, (
        applicant_fits(f, m),
        judge("provider_type", "body:18", provider_ok,
              met="属于企业、社会组织、创业孵化示范基地或四众创业支撑平台",
              unmet="本项面向企业和社会组织、创业孵化示范基地、四众创业支撑平台",
              unknown="需确认单位类型", needs=["org_type"] if org_type is None else ["incubator_or_platform"]),
        judge("provides_services", "body:18", f["provides_startup_services"], met="为创业者提供创业服务",
              unmet="须为创业者提供创业服务", unknown="需确认是否为创业者提供了创业服务",
              needs=["provides_startup_services"]),
        judge("rated", "body:18", None if tier in (None, "not_rated") else tier in _TIERS,
              met=f"经评估为{enum_label('service_rating_tier', tier) if tier else ''}",
              unmet="经评估未评上档次：通知只对评为三个档次之一的服务机构给予补贴",
              unknown=("须经评估确定服务效果和档次后才能确定" if tier == "not_rated" else "需确认评估档次"),
              needs=[] if tier == "not_rated" else ["service_rating_tier"]),
    ))
    amount = m.param(_TIERS[tier]) if tier in _TIERS else None
    return Assessment(routes=[route], amount_yuan=amount, amount_kind="exact" if amount else "tiers",
                      amount_text="经评估分三个档次，分别给予" + "、".join(
                          f"{m.param(key):g}元" for key in _TIERS.values()) + "的创业服务补贴",
                      amount_calc=f"{enum_label('service_rating_tier', tier)}为{number_text(amount, '元')}" if amount else None)


# ---- 19 一次性创业补贴 -------------------------------------------------------------------------------

def _startup_person(f: Facts) -> Condition:
    category = f["startup_person_category"]
    if category is None:
        return judge("person_category", "body:19", None, met="", unmet="", unknown="需确认属于哪类人员",
                     needs=["startup_person_category"])
    label = enum_label("startup_person_category", category)
    if category == "graduate":
        within = f["graduate_within_two_years_unemployed"]
        return judge("person_category", "body:19", within, met="离校两年内未就业高校毕业生（含在校生）",
                     unmet="高校毕业生须为离校两年内未就业（含在校生）",
                     unknown="需确认是否为离校两年内未就业的高校毕业生", needs=["graduate_within_two_years_unemployed"])
    if category in STARTUP_SUBSIDY_CATEGORIES:
        return Condition("person_category", Status.MET, f"属于通知列明的{label}", "body:19")
    return Condition("person_category", Status.UNKNOWN,
                     f"通知列举的人员以“等”结尾，{label}是否适用需向经办机构确认", "body:19")


@rule("startup_subsidy")
def startup_subsidy(f: Facts, m: Measure) -> Assessment:
    jobs = f["jobs_created"]
    route = Route(None, (
        applicant_fits(f, m),
        _startup_person(f),
        judge("first_startup", "body:19", f["first_startup"], met="首次成功创业", unmet="本项面向首次成功创业的人员",
              unknown="需确认是否首次创业", needs=["first_startup"]),
        _months_at_least("operating_one_year", "body:19", f["business_registered_months"],
                         m.param("min_operating_years") * 12, "登记注册并正常经营", "business_registered_months"),
        judge("creates_jobs", "body:19", None if jobs is None else jobs > 0, met=f"带动{jobs}名其他劳动者就业",
              unmet="须带动其他劳动者就业", unknown="需确认带动了几名其他劳动者就业", needs=["jobs_created"]),
        judge("files_taxes", "body:19", f["tax_filed_normally"], met="正常申报纳税", unmet="须正常申报纳税",
              unknown="需确认是否正常申报纳税", needs=["tax_filed_normally"]),
    ))
    minimum = m.param("min_subsidy_yuan")
    return Assessment(routes=[route], amount_yuan=minimum, amount_kind="minimum",
                      amount_text=f"给予不低于{number_text(minimum, '元')}的一次性创业补贴")
