"""The policybot command: every aspect of every measure, checks, the check-up, and clean errors."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from policies_kb.loader import kb

POLICYBOT = Path(sys.executable).parent / "policybot"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(POLICYBOT), *args], capture_output=True, text=True, timeout=60)


def test_console_script_is_installed():
    assert POLICYBOT.exists(), "pip install -e . installs the policybot console script"


def test_kb_list():
    result = run("kb", "list", "--json")
    assert result.returncode == 0
    assert [row["id"] for row in json.loads(result.stdout)] == [m.id for m in kb().measures]


def test_kb_show_every_aspect_of_every_measure():
    for measure in kb().measures:
        result = run("kb", "show", str(measure.number), "--json", "--as-of", "2022-09-01")
        assert result.returncode == 0, result.stderr
        answers = json.loads(result.stdout)
        assert [a["aspect"] for a in answers] == ["overview", "conditions", "amount", "process", "materials",
                                                   "deadline", "office", "online_entry"]
        assert all(a["sources"] and a["text"] and a["measure"] == measure.id for a in answers)


def test_kb_show_by_colloquial_name_and_aspect():
    result = run("kb", "show", "失业金", "--aspect", "online_entry")
    assert result.returncode == 0
    assert "http://si.12333.gov.cn/index" in result.stdout and "依据：附件清单第12项" in result.stdout


def test_check_json_shape():
    result = run("check", "job_retention_refund", "--fact", "org_type=企业", "--fact", "enterprise_size=小型",
                 "--fact", "insured_employees=三十人", "--fact", "layoffs_last_year=6",
                 "--fact", "unemployment_insurance_paid_last_year=2万", "--as-of", "2022-09-01", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"measure", "eligible", "in_force", "amount_yuan", "conditions", "missing_facts", "service_entries"} <= set(data)
    assert data["measure"] == "job_retention_refund" and data["eligible"] is True and data["in_force"] is True
    assert data["amount_yuan"] == 18000
    assert all({"id", "status", "text", "source"} <= set(c) for c in data["conditions"])
    assert data["service_entries"][0]["url"] == "http://rst.nmg.gov.cn/"


def test_check_every_measure_from_the_command_line():
    for measure in kb().measures:
        result = run("check", measure.id, "--as-of", "2022-09-01", "--json")
        assert result.returncode == 0, result.stderr
        assert json.loads(result.stdout)["missing_facts"]


def test_an_ended_measure_is_a_no_on_the_day_asked():
    result = run("check", "job_retention_refund", "--as-of", "2026-12-02", "--fact", "org_type=企业",
                 "--fact", "insured_employees=20", "--fact", "layoffs_last_year=0", "--json")
    data = json.loads(result.stdout)
    assert (data["eligible"], data["status"], data["conditions_met"]) == (False, "ended", True)
    assert data["missing_facts"] == [] and data["amount_yuan"] is None
    human = run("check", "job_retention_refund", "--as-of", "2026-12-02", "--fact", "org_type=企业")
    assert "已执行期满，不能申请" in human.stdout


def test_check_human_output_lists_the_questions():
    result = run("check", "12")
    assert result.returncode == 0
    assert "还需要了解" in result.stdout and "employment_status" in result.stdout


def test_checkup():
    result = run("checkup", "--fact", "applicant=person", "--fact", "employment_status=失业",
                 "--fact", "unemployment_insurance_months=两年", "--fact", "involuntary_separation=是",
                 "--fact", "job_seeking=是", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert "unemployment_benefit" in [r["measure"] for r in data["eligible"]]
    human = run("checkup", "--fact", "applicant=person", "--all")
    assert human.returncode == 0 and "== 不符合" in human.stdout


def test_facts_listing():
    result = run("facts", "--json")
    assert result.returncode == 0
    rows = {row["key"]: row for row in json.loads(result.stdout)}
    assert set(rows) == set(kb().facts)
    assert all(row["question"] for row in rows.values())
    assert {v["code"] for v in rows["industry"]["values"]} >= {"catering", "textile", "entertainment"}


@pytest.mark.parametrize("args, message", [
    (("check", "no_such_measure"), "unknown measure"),
    (("check", "6", "--fact", "salary=3000"), "unknown fact key"),
    (("check", "6", "--fact", "insured_employees=很多"), "expected a number"),
    (("check", "6", "--fact", "enterprise_size=巨型"), "not an allowed value"),
    (("check", "6", "--fact", "novalue"), "expected KEY=VALUE"),
    (("check", "6", "--as-of", "2022-02-30"), "YYYY-MM-DD"),
    (("kb", "show", "99"), "unknown measure"),
])
def test_errors_are_one_clear_line(args, message):
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_bad_aspect_is_refused_by_the_parser():
    result = run("kb", "show", "6", "--aspect", "salary")
    assert result.returncode == 2 and "Traceback" not in result.stderr
