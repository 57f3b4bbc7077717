"""The engine around the rules: dates, missing facts, the check-up, and the fact catalogue's consistency."""
from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from policies_kb import facts as fact_catalogue
from policies_kb.engine import check, checkup
from policies_kb.facts import FactError
from policies_kb.loader import kb

RULES_DIR = Path(fact_catalogue.__file__).parent / "rules"


def _keys_named_in_rules():
    text = "".join(path.read_text(encoding="utf-8") for path in RULES_DIR.glob("*.py"))
    return set(re.findall(r'f\["([a-z0-9_]+)"\]', text)) | set(re.findall(r'"([a-z0-9_]+)"', text)) & set(kb().facts)


def test_every_catalogued_fact_is_used_by_a_rule():
    unused = set(kb().facts) - _keys_named_in_rules()
    assert not unused, f"facts.yaml lists facts no rule reads: {sorted(unused)}"


def test_rules_read_only_catalogued_facts():
    text = "".join(path.read_text(encoding="utf-8") for path in RULES_DIR.glob("*.py"))
    read = set(re.findall(r'f\["([a-z0-9_]+)"\]', text))
    assert read <= set(kb().facts), sorted(read - set(kb().facts))


@pytest.mark.parametrize("measure", [m.id for m in kb().measures])
def test_with_no_facts_every_measure_asks_catalogued_questions(measure):
    result = check(measure, {}, date(2022, 9, 1))
    assert result.eligible is None
    assert result.missing_facts, "an empty profile cannot decide a measure"
    assert all(key in kb().facts for key in result.missing_facts)
    assert result.next_question == kb().facts[result.missing_facts[0]].question


def test_answering_the_questions_in_order_reaches_a_verdict():
    """Answer 'yes'/'12' to whatever is asked next; the dialogue must end with a verdict."""
    answers = {"bool": True, "int": 12, "number": 1000.0}
    for measure in kb().measures:
        known = {}
        for _ in range(30):
            result = check(measure.id, known, date(2022, 9, 1))
            if not result.missing_facts:
                break
            key = result.missing_facts[0]
            spec = kb().facts[key]
            known[key] = answers.get(spec.type) or kb().fact_values(key)[0].code
        assert not result.missing_facts, f"{measure.id} kept asking: {known}"


def test_as_of_defaults_to_today():
    assert check("unemployment_benefit").as_of == date.today()


def test_as_of_accepts_iso_text_and_refuses_nonsense():
    assert check("unemployment_benefit", {}, "2022-09-01").as_of == date(2022, 9, 1)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        check("unemployment_benefit", {}, "2022/09/01")


def test_today_most_measures_have_ended_and_the_continuing_ones_remain():
    today = date(2026, 11, 26)
    in_force = {m.id for m in kb().measures if m.in_force(today)}
    assert in_force == {"skill_upgrade_subsidy", "unemployment_benefit", "migrant_lump_sum", "startup_loan",
                        "incubator_rent_subsidy", "startup_service_subsidy", "startup_subsidy"}


def test_in_2022_every_measure_was_in_force():
    assert all(m.in_force(date(2022, 9, 1)) for m in kb().measures)


def test_dates_before_the_notice_carry_a_note():
    notes = check("unemployment_benefit", {}, date(2022, 3, 1)).notes
    assert any("早于本通知印发日期" in note for note in notes)


def test_summary_says_an_ended_measure_can_no_longer_be_applied_for():
    result = check("job_retention_refund", {"org_type": "enterprise", "insured_employees": 10, "layoffs_last_year": 0},
                   date(2026, 11, 26))
    assert result.eligible is False and result.in_force is False
    assert result.status == "ended" and result.conditions_met is True
    assert "2022年12月31日执行期满" in result.summary() and "原本符合" in result.summary()


def test_unknown_fact_and_bad_values_are_refused():
    with pytest.raises(FactError, match="unknown fact key"):
        check("unemployment_benefit", {"salary": 3000})
    with pytest.raises(FactError, match="expected a number"):
        check("unemployment_benefit", {"unemployment_insurance_months": "很久"})
    with pytest.raises(FactError, match="not an allowed value"):
        check("job_retention_refund", {"enterprise_size": "超大"})
    with pytest.raises(FactError, match="below minimum"):
        check("job_retention_refund", {"insured_employees": -3})


def test_unknown_measure_is_a_key_error():
    with pytest.raises(KeyError):
        check("pension_subsidy")


def test_checkup_of_a_laid_off_person_lists_person_measures_only():
    profile = {"applicant": "person", "employment_status": "unemployed", "unemployment_insurance_months": 24,
               "involuntary_separation": True, "job_seeking": True}
    report = checkup(profile, date(2026, 11, 26))
    eligible = {r.measure.id for r in report.group("eligible")}
    maybe = {r.measure.id for r in report.group("undetermined") + report.group("ended")}
    assert "unemployment_benefit" in eligible
    assert all("person" in kb().measure(m).applicants for m in eligible | maybe)
    assert "job_retention_refund" in {r.measure.id for r in report.group("not_eligible")}


def test_checkup_of_a_restaurant_in_2022():
    profile = {"org_type": "enterprise", "industry": "餐饮", "enterprise_size": "小型", "insured_employees": 12,
               "layoffs_last_year": 0, "region_had_risk_area_2022": False, "injury_insured": True,
               "unemployment_insured": True}
    report = checkup(profile, date(2022, 9, 1))
    eligible = {r.measure.id for r in report.group("eligible")}
    assert {"pension_deferral", "injury_deferral", "unemployment_deferral", "injury_rate_cut",
            "unemployment_rate_cut", "job_retention_refund", "retention_training_subsidy"} <= eligible
    data = report.to_dict()
    assert set(data) == {"as_of", "eligible", "undetermined", "ended", "not_eligible_count"}
    undetermined = {r["measure"]: r["missing_facts"] for r in data["undetermined"]}
    assert all(missing for missing in undetermined.values())
