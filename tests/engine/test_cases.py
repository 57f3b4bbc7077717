"""The rule tables in tests/engine/cases/*.yaml: one situation per row, with the clause it tests."""
from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest
import yaml

from policies_kb import sources
from policies_kb.engine import check
from policies_kb.loader import kb

CASES_DIR = Path(__file__).parent / "cases"
EXPECT_KEYS = {"eligible", "status", "conditions_met", "amount_in_period_yuan", "route", "in_force", "ended_on", "starts_on", "amount_yuan", "amount_kind",
               "amount_missing_facts", "missing_facts", "missing_facts_start", "conditions", "notes_contain",
               "amount_text_contains"}


def _load_cases():
    cases = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8")):
            cases.append(pytest.param(case, id=f"{path.stem}:{case['name']}"))
    return cases


CASES = _load_cases()


@pytest.mark.parametrize("case", CASES)
def test_case(case):
    assert sources.is_valid(case["source"]), f"case cites an unknown source {case['source']!r}"
    unknown_keys = set(case["expect"]) - EXPECT_KEYS
    assert not unknown_keys, f"unknown expectation keys {unknown_keys}"
    result = check(case["measure"], case["facts"], date.fromisoformat(str(case["as_of"]))).to_dict()
    expect = case["expect"]
    for key in ("eligible", "status", "conditions_met", "amount_in_period_yuan", "route", "in_force", "amount_yuan", "amount_kind", "missing_facts", "amount_missing_facts"):
        if key in expect:
            assert result[key] == expect[key], f"{key}: {result[key]!r} != {expect[key]!r}\n{result['conditions']}"
    for key in ("ended_on", "starts_on"):
        if key in expect:
            assert result[key] == str(expect[key])
    if "missing_facts_start" in expect:
        assert result["missing_facts"][:len(expect["missing_facts_start"])] == expect["missing_facts_start"]
    statuses = {condition["id"]: condition["status"] for condition in result["conditions"]}
    for condition_id, status in expect.get("conditions", {}).items():
        assert statuses.get(condition_id) == status, f"{condition_id}: {statuses.get(condition_id)} != {status}\n{result['conditions']}"
    if "notes_contain" in expect:
        assert any(expect["notes_contain"] in note for note in result["notes"])
    if "amount_text_contains" in expect:
        assert expect["amount_text_contains"] in result["amount_text"]


def test_every_measure_has_a_passing_and_a_failing_case():
    seen = defaultdict(set)
    for param in CASES:
        case = param.values[0]
        seen[case["measure"]].add(case["expect"].get("eligible", "unstated"))
    for measure in kb().measures:
        # A measure whose procedure is pending is never "eligible": its best verdict is undetermined.
        best = None if measure.procedure_pending else True
        assert {best, False} <= seen[measure.id], f"{measure.id} needs a {best}-verdict and a not-eligible case"
