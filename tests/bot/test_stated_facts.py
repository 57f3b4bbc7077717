"""Facts said in passing, in people's own words (bot/stated_facts.py)."""
from __future__ import annotations

import pytest
import yaml

from bot.stated_facts import CUES_PATH, resolve, stated_facts
from bot.text import normalise
from policies_kb.engine import facts_read
from policies_kb.loader import kb


def facts(text, measure=None):
    mentions = [{"candidates": list(f.candidates), "value": f.value} for f in stated_facts(normalise(text))
                if f.candidates]
    return resolve(mentions, facts_read(measure) if measure else [])


# Sentences with the facts they state (also read by scripts/compare_numerals.py).
SENTENCE_CASES = [
    ("我们厂参保的有60来号人，去年裁了3个，稳岗返还能拿吗？", "job_retention_refund",
     {"org_type": "enterprise", "insured_employees": 60, "layoffs_last_year": 3, "applicant": "organisation"}),
    ("二十来个人参保，去年裁了三个", "job_retention_refund", {"insured_employees": 20, "layoffs_last_year": 3}),
    ("三十几个员工，开了两个，走了5个", "job_retention_refund", {"insured_employees": 30, "layoffs_last_year": 2}),
    ("分公司那边25个人，裁了5个", "job_retention_refund", {"insured_employees": 25, "layoffs_last_year": 5}),
    ("去年交了4万多失业保险", "job_retention_refund", {"unemployment_insurance_paid_last_year": 40000}),
    ("失业保险交了1.8万元", "job_retention_refund", {"unemployment_insurance_paid_last_year": 18000}),
    ("交了10个月", "unemployment_benefit", {"unemployment_insurance_months": 10}),
    ("社保连续交了两年半", "pension_deferral", {"continuous_contribution_months": 30}),
    ("在厂里干了两年零两个月", "migrant_lump_sum", {"continuous_work_months": 26}),
    ("我是自己辞职的", "unemployment_benefit", {"involuntary_separation": False, "employment_status": "unemployed"}),
    ("不是自己辞职，是被公司裁员了", "unemployment_benefit", {"involuntary_separation": True,
                                                         "employment_status": "unemployed"}),
    ("之前没创过业", "startup_subsidy", {"first_startup": True}),
    ("今年领过两回了", "skill_upgrade_subsidy", {"skill_subsidy_claims_this_year": 2}),
    ("四个人合伙创业", "startup_loan", {"partners": 4}),
    ("公司有120人", "startup_loan", {"employees": 120, "org_type": "enterprise"}),
    ("招了3个应届毕业生，签了一年以上的合同", "graduate_hiring_subsidy",
     {"graduates_hired": 3, "graduate_contract_months": 12}),
    ("我们一直有交失业险", "job_retention_refund", {"unemployment_insured": True}),
    ("没有欠缴", "pension_deferral", {"has_social_insurance_arrears": False}),
    ("營業一年多了，帶動了兩個人就業", "startup_subsidy", {"business_registered_months": 12, "jobs_created": 2}),
    ("单位给交了失业保险", "migrant_lump_sum", {"employer_paid_unemployment_insurance": True}),
    ("失业保险都给他们交了", "job_expansion_subsidy", {"graduates_unemployment_insured": True}),
    ("我们这块今年没出过中高风险区", "retention_training_subsidy", {"region_had_risk_area_2022": False}),
    ("账上的钱都不够按最低工资给大家发", "pension_deferral", {"deposits_below_min_wage_payroll": True}),
    ("以前没领过，今年也是头一回", "skill_upgrade_subsidy",
     {"same_certificate_claimed_before": False, "skill_subsidy_claims_this_year": 0}),
    ("评估评上了第一档", "startup_service_subsidy", {"service_rating_tier": "tier1"}),
    ("我们是三个战友合伙", "startup_loan", {"partners": 3}),
    ("我们是个20人的小公司", "job_retention_refund", {"insured_employees": 20, "org_type": "enterprise",
                                                  "applicant": "organisation"}),
    ("我就是个普通上班族，不属于退役军人失业人员那些", "startup_subsidy", {"startup_person_category": "other", "applicant": "person"}),
    ("我们这儿也不算疫情严重地区", "unemployment_deferral", {"severe_epidemic_area": False}),
    ("我们是做冷链运输的物流公司", "job_retention_refund", {"org_type": "enterprise", "applicant": "organisation"}),
    ("我们律师事务所去年一个人也没裁", "job_retention_refund", {"org_type": "social_org", "layoffs_last_year": 0}),
    ("走了十来个，裁员的只有3个", "job_retention_refund", {"layoffs_last_year": 3}),
    ("新员工都签的两年合同", "startup_loan", {"new_hires_contract_1y": True}),
    ("只签了三个月的合同", "startup_loan", {"new_hires_contract_1y": False}),
    ("前年就停保了，去年8月又停的保", "temporary_living_allowance", {"stopped_insurance_after_2021": True}),
    ("2019年停的保", "temporary_living_allowance", {"stopped_insurance_after_2021": False}),
    ("毕业四年了", "startup_loan", {"startup_person_category": "graduate"}),
    ("入驻的都是毕业两年以内的", "incubator_rent_subsidy", {"tenant_category": "graduate_within_5_years"}),
    ("我们保证到期把钱补缴上", "pension_deferral", {"commits_to_repay": True}),
    ("饭店因为疫情关了二十多天", "retention_training_subsidy", {"unable_to_operate_due_to_epidemic": True}),
    ("我是企业员工，考了个电工中级工", "skill_upgrade_subsidy",
     {"applicant": "person", "employment_status": "employed", "certificate_kind": "skill_level",
      "certificate_level": "level4"}),
    ("一直没找着活，还在到处找工作", "unemployment_allowance", {"employment_status": "unemployed", "job_seeking": True}),
    ("我们给创业者提供场地和创业辅导", "startup_service_subsidy", {"provides_startup_services": True}),
    ("我们行业不在困难行业名单里", "pension_deferral", {"industry": "other"}),
    # Numbers read whole, and sums in every way people say them.
    ("失业保险前后一共交了十一个月", "unemployment_benefit", {"unemployment_insurance_months": 11}),
    ("去年交了6万8", "job_retention_refund", {"unemployment_insurance_paid_last_year": 68000}),
    ("上年度失业保险实际缴了2.4万", "job_retention_refund", {"unemployment_insurance_paid_last_year": 24000}),
    ("基金累计结余差不多三个亿", None, {"ui_fund_accumulated_balance": 300000000}),
    ("全公司缴费基数合计大概二十万一个月", "unemployment_rate_cut", {"unemployment_contribution_base": 200000}),
    ("单位和职工一共交了80万失业保险", "job_retention_refund", {"unemployment_insurance_paid_last_year": 800000}),
    # Counts and durations with the words between.
    ("裁的是4个，我记错了", "job_retention_refund", {"layoffs_last_year": 4}),
    ("裁员还是3个", "job_retention_refund", {"layoffs_last_year": 3}),
    ("去年一个都没辞退", "job_retention_refund", {"layoffs_last_year": 0}),
    ("在职45人", "startup_loan", {"employees": 45}),
    ("参保才半年", "unemployment_benefit", {"unemployment_insurance_months": 6}),
    ("跟三个同学合伙开店", "startup_loan", {"partners": 4}),
    ("我俩两个人一起干", "startup_loan", {"partners": 2}),
    ("劳动合同签了，两年期的", "graduate_hiring_subsidy", {"graduate_contract_signed": True, "graduate_contract_months": 24}),
    ("入驻的是脱贫劳动力，满一年了，房租全免", "incubator_rent_subsidy",
     {"tenant_category": "poverty_alleviated", "tenant_months_in_park": 12, "rent_waived": True}),
    # Yes/no facts said loosely.
    ("现在运转挺吃力的", "pension_deferral", {"temporary_operating_difficulty": True}),
    ("所在的县没被认定为疫情严重地区", "unemployment_deferral", {"severe_epidemic_area": False}),
    ("统筹区今年出过中风险区", "retention_training_subsidy", {"region_had_risk_area_2022": True}),
    ("受疫情影响停工了", "retention_training_subsidy", {"unable_to_operate_due_to_epidemic": True}),
    ("现在没工作，正在找", "unemployment_benefit", {"employment_status": "unemployed", "job_seeking": True}),
    ("我是城镇户口", "migrant_lump_sum", {"rural_migrant_worker": False}),
    ("失业金一天都没领过", "unemployment_allowance", {"unemployment_benefit_expired": False}),
    ("今年也是第一次", "skill_upgrade_subsidy", {"skill_subsidy_claims_this_year": 0}),
    ("税一直按时报着", "startup_subsidy", {"tax_filed_normally": True}),
    ("单位倒闭了，不是我自己要走的", "unemployment_benefit", {"involuntary_separation": True,
                                                      "employment_status": "unemployed"}),
    ("失业险还没给他们交", "job_expansion_subsidy", {"graduates_unemployment_insured": False}),
    ("三项社保一分钱没欠过", "injury_deferral", {"has_social_insurance_arrears": False}),
    ("我是旗人社局的", "skills_training_subsidy", {"org_type": "government_department", "is_district_hrss_department": True,
                                          "applicant": "organisation"}),
    ("想回山东老家创业", "startup_loan", {"starts_business_in_region": False}),
    # Colloquial numerals and approximate years.
    ("头一回创业，雇了俩小伙子", "startup_subsidy", {"first_startup": True, "jobs_created": 2}),
    ("跟仨朋友合伙", "startup_loan", {"partners": 4}),  # the three and the person asking
    ("要是跟俩战友合伙呢，一共三个人", "startup_loan", {"partners": 3}),
    ("社保交了十来年", "pension_deferral", {"continuous_contribution_months": 120}),
    ("失业保险交了二十多年", "unemployment_benefit", {"unemployment_insurance_months": 240}),
    ("备付期限是二点八年", "skills_training_subsidy", {"ui_fund_reserve_years": 2.8}),
    # A phrase said as not so.
    ("今年没出过中高风险地区", "retention_training_subsidy", {"region_had_risk_area_2022": False}),
    ("停了一个多月，根本没法正常营业", "retention_training_subsidy", {"unable_to_operate_due_to_epidemic": True}),
    ("账上的钱发工资倒是够", "pension_deferral", {"deposits_below_min_wage_payroll": False}),
    ("有交失业保险，一共五个人", "job_retention_refund", {"insured_employees": 5}),
    # Who is asking, said on its own: the unit's kind, or who the person is.
    ("是公司，参保的十五个人", "job_retention_refund", {"org_type": "enterprise", "insured_employees": 15}),
    ("我们是一家民办非企业的养老服务机构，今年招了两个应届大学生", "job_expansion_subsidy",
     {"org_type": "social_org", "graduates_hired": 2}),
    ("我是退役军人，想在包头开个汽修店", "startup_loan",
     {"applicant": "person", "startup_person_category": "veteran", "starts_business_in_region": True}),
    ("我是纺织厂的会计，厂里今年一直亏损", "pension_deferral", {"loss_making": True}),  # the unit's clerk, not a person's case
    # Where a person works is not who is asking.
    ("我在青山区一家公司干了两年零两个月，合同到期公司不续了", "unemployment_benefit",
     {"involuntary_separation": True}),  # no 单位类型: the person works there
    ("公司在东河区，参保职工30人", "retention_training_subsidy",
     {"org_type": "enterprise", "insured_employees": 30}),
    # Said the other way round, or as what will be done.
    ("开班之前没跟人社局报，已经培训完了", "skills_training_subsidy", {"training_reported_before_start": False}),
    ("那下一期开班前先去人社部门申请呢", "skills_training_subsidy", {"training_reported_before_start": True}),
    ("说实话工伤险还没给工人上呢", "injury_rate_cut", {"injury_insured": False}),
    ("那要是下个月给他们把工伤险补上呢", "injury_rate_cut", {"injury_insured": True}),
    ("我们生产一直正常，没受啥影响", "retention_training_subsidy", {"unable_to_operate_due_to_epidemic": False}),
    ("不打算再找工作了，就等着退休", "unemployment_benefit", {"job_seeking": False}),
    ("我打算先歇半年，不着急找工作", "unemployment_benefit", {"job_seeking": False}),
    ("我上个月让公司给辞退了", "unemployment_benefit", {"involuntary_separation": True, "employment_status": "unemployed"}),
    ("十月份封控那阵子根本开不了门", "retention_training_subsidy", {"unable_to_operate_due_to_epidemic": True}),
    ("还没拿证，下个月才考", "skills_training_subsidy", {"certificate_kind": "none"}),
    ("那我们改签成一年的呢", "graduate_hiring_subsidy", {"graduate_contract_months": 12}),
    ("要是雇上俩人呢", "startup_subsidy", {"jobs_created": 2}),
    ("我不是失业人员也不是大学生啥的，就是想开个奶茶店", "startup_loan", {"startup_person_category": "other"}),
    # A shop speaking of itself is presumed an enterprise, unless it says what else it is.
    ("我们开超市的，参保员工二十来个", "retention_training_subsidy",
     {"org_type": "enterprise", "applicant": "organisation", "insured_employees": 20}),
    ("我们是个体户，开超市的", "retention_training_subsidy", {"org_type": "individual_business", "applicant": "organisation"}),
    ("我在超市上班", "retention_training_subsidy", {}),
    # Worked so long with the insurance paid throughout: that long insured.
    ("在厂里干了两年零两个月，失业保险一直交着", "unemployment_benefit", {"unemployment_insurance_months": 26}),
]


@pytest.mark.parametrize("text, measure, expected", SENTENCE_CASES)
def test_facts_in_peoples_words(text, measure, expected):
    assert facts(text, measure) == expected


def test_resignations_are_not_layoffs():
    assert "layoffs_last_year" not in facts("去年走了5个人，都是自己辞职的", "job_retention_refund")


def test_a_number_takes_the_fact_the_measure_reads():
    assert facts("公司30个员工", "job_retention_refund") == {"insured_employees": 30}
    assert facts("公司30个员工", "startup_loan") == {"employees": 30}


def test_plain_questions_state_nothing():
    for text in ("失业金怎么领", "稳岗返还的条件", "创业担保贷款能贷多少", "政策执行到什么时候"):
        assert facts(text) == {}, text


def test_every_cue_names_a_catalogued_fact():
    data = yaml.safe_load(CUES_PATH.read_text(encoding="utf-8"))
    keys = [key for group in ("numbers", "durations") for cue in data[group] for key in cue["facts"]]
    keys += list(data["statements"]) + [key for group in data["shared_statements"] + data["statement_patterns"] for key in group["facts"]]
    assert set(keys) <= set(kb().facts), set(keys) - set(kb().facts)


def test_one_phrase_two_facts():
    assert facts("我被单位辞退了", "migrant_lump_sum") == {"contract_ended_or_terminated": True}
    # Dismissed, said of oneself, also says there is no job now.
    assert facts("我被单位辞退了", "unemployment_benefit") == {"involuntary_separation": True,
                                                              "employment_status": "unemployed"}


@pytest.mark.parametrize("text, status", [
    ("俺在超市干了八个月被辞了，能领失业保险金不", "unemployed"),
    ("那要是下个月被裁了呢", "unemployed"),
    ("公司裁员把我裁了", "unemployed"),
    ("我被辞退了，现在在新单位上班", "employed"),   # the work situation said: that is read instead
    ("公司裁员了，裁了5个", None),                  # a unit's layoffs say nothing of the speaker
    ("我在饭店干活，老板不干了店关了", "unemployed"),  # the workplace closed
    ("要是公司先提出来让我走的呢", "unemployed"),
])
def test_dismissed_oneself_means_no_job_now(text, status):
    found = {f.candidates[0]: f.value for f in stated_facts(normalise(text)) if f.candidates}
    assert found.get("employment_status") == status


@pytest.mark.parametrize("text, months", [
    ("前面那个单位还交了一年半呢，加一块是二十六个月", 26),   # the total, not the part said before it
    ("失业保险一共交了三年", 36),
    ("社保交了两年", 24),
])
def test_a_total_stands_for_its_parts(text, months):
    durations = [f.value for f in stated_facts(normalise(text)) if "unemployment_insurance_months" in f.candidates]
    assert durations == [months]


def test_a_fact_stated_opens_the_question_it_makes_the_rule_ask():
    from actions.resolution import stated_facts as read_message
    from bot.components.policy_entities import entities_for

    text = normalise("我大学毕业一年多一直没找到工作，后来自己开了个店")
    found = read_message({"text": text, "entities": entities_for(text)}, "startup_subsidy", {})
    assert found["startup_person_category"] == "graduate" and found["graduate_within_two_years_unemployed"] is True


def test_a_plain_question_about_finding_work_states_no_job_seeking():
    assert "job_seeking" not in facts("现在找工作难吗", "unemployment_benefit")


def test_a_count_is_not_a_sum():
    assert facts("单位和职工一共交了80万失业保险", "job_retention_refund").get("insured_employees") is None


def test_no_fact_is_listed_twice_in_the_cues():
    """A key written twice in stated_facts.yml silently loses the first list (YAML keeps the last)."""
    class Strict(yaml.SafeLoader):
        pass

    def no_duplicates(loader, node, deep=False):
        keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
        duplicated = {key for key in keys if keys.count(key) > 1}
        assert not duplicated, f"listed twice in {CUES_PATH.name}: {duplicated}"
        return loader.construct_mapping(node, deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, no_duplicates)
    yaml.load(CUES_PATH.read_text(encoding="utf-8"), Loader=Strict)


def test_an_a_not_a_question_states_neither():
    assert facts("失业保险交没交我也不清楚", "migrant_lump_sum") == {}
    assert facts("合同签没签我得问问", "graduate_hiring_subsidy") == {}


@pytest.mark.parametrize("text, applicant", [
    ("我们是一家职业技能培训学校，培训补贴我们能申请不", "organisation"),
    ("我是达茂旗人社局的，想问下提取失业保险基金", "organisation"),
    ("我们公司参保30人", "organisation"),
    ("我是厂里的工人，被辞退了", None),     # a worker of a factory asks for himself
])
def test_a_unit_speaking_of_itself_asks_as_an_organisation(text, applicant):
    found = {f.candidates[0]: f.value for f in stated_facts(normalise(text)) if f.candidates}
    assert found.get("applicant") == applicant


def test_more_of_a_count_is_added_to_the_one_given():
    mentions = [{"role": f.role, "candidates": list(f.candidates), "value": f.value}
                for f in stated_facts(normalise("要是再招2个呢")) if f.candidates]
    reads = facts_read("startup_loan", {"applicant": "organisation"})
    assert resolve(mentions, reads, known={"new_hires_loan_eligible": 8}) == {"new_hires_loan_eligible": 10}
    assert resolve(mentions, reads) == {}  # nothing given before: "再招2个" alone says no count


def test_the_count_reached_wins_over_the_increment():
    assert facts("要是再招1个，凑够10个呢", "startup_loan") == {"new_hires_loan_eligible": 10}
