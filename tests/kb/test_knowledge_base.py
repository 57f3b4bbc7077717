"""The knowledge base: the 19 measures as the issue lists them, every aspect answerable, clear load errors."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from policies_kb.answers import answer
from policies_kb.loader import DATA_DIR, KbError, kb, load_kb
from policies_kb.schema import ASPECTS

EXPECTED = [
    (1, "pension_deferral", "养老保险费缓缴"), (2, "injury_deferral", "工伤保险费缓缴"),
    (3, "unemployment_deferral", "失业保险费缓缴"), (4, "injury_rate_cut", "阶段性降低工伤保险费率"),
    (5, "unemployment_rate_cut", "阶段性降低失业保险费率"), (6, "job_retention_refund", "失业保险稳岗返还"),
    (7, "retention_training_subsidy", "一次性留工（培训）补助"), (8, "job_expansion_subsidy", "一次性扩岗补助"),
    (9, "graduate_hiring_subsidy", "一次性吸纳就业补贴"), (10, "skills_training_subsidy", "职业技能提升行动培训补贴"),
    (11, "skill_upgrade_subsidy", "技能提升补贴"), (12, "unemployment_benefit", "失业保险金"),
    (13, "migrant_lump_sum", "一次性生活补助（农牧民工）"), (14, "unemployment_allowance", "失业补助金"),
    (15, "temporary_living_allowance", "临时生活补助"), (16, "startup_loan", "创业担保贷款"),
    (17, "incubator_rent_subsidy", "创业场地租金补贴"), (18, "startup_service_subsidy", "创业服务补贴"),
    (19, "startup_subsidy", "一次性创业补贴"),
]


def test_the_nineteen_measures():
    assert [(m.number, m.id, m.name) for m in kb().measures] == EXPECTED


@pytest.mark.parametrize("measure_id", [row[1] for row in EXPECTED])
@pytest.mark.parametrize("aspect", ASPECTS)
def test_every_aspect_of_every_measure_has_a_cited_answer(measure_id, aspect):
    result = answer(measure_id, aspect, "2022-09-01")
    assert result.statements and result.source_ids
    assert result.body().strip()
    assert "依据：" in result.text()


def test_colloquial_names_find_their_measure():
    for alias, measure_id in [("失业金", "unemployment_benefit"), ("稳岗补贴", "job_retention_refund"),
                              ("留工补贴", "retention_training_subsidy"), ("6", "job_retention_refund")]:
        assert kb().measure(alias).id == measure_id


def test_aliases_belong_to_one_measure_only():
    owner = {}
    for measure in kb().measures:
        for name in [measure.name, *measure.aliases]:
            assert owner.setdefault(name, measure.id) == measure.id, f"{name!r} names {owner[name]} and {measure.id}"


def test_undetermined_measures_say_so():
    for measure_id in ("job_expansion_subsidy", "startup_subsidy"):
        assert "待自治区进一步明确操作流程后实施" in kb().measure(measure_id).procedure_pending.text


def test_body_and_attachment_disagreements_are_recorded():
    for measure_id in ("injury_deferral", "unemployment_deferral"):
        deadline = kb().measure(measure_id).aspects.deadline
        assert any(statement.kind == "discrepancy" for statement in deadline)


def test_service_entry_urls_are_those_of_the_notice():
    urls = {entry.url for entry in kb().entries.values() if entry.url}
    assert urls == {"http://rst.nmg.gov.cn/", "http://si.12333.gov.cn/index", "http://www.btjyj.cn/"}


def test_knowledge_base_imports_nothing_from_rasa():
    code = "import sys, policies_kb.cli, policies_kb.engine, policies_kb.answers; " \
           "sys.exit(any(m.split('.')[0] in ('rasa', 'rasa_sdk') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


# ---- schema errors name the file and the field -----------------------------------------------------

@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _edit(path: Path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_copy_loads(data_copy):
    assert len(load_kb(data_copy).measures) == 19


def test_missing_aspect_is_named(data_copy):
    path = data_copy / "measures" / "06_job_retention_refund.yaml"
    _edit(path, lambda d: d["aspects"].pop("materials"))
    with pytest.raises(KbError, match=r"06_job_retention_refund\.yaml: aspects\.materials: field required"):
        load_kb(data_copy)


def test_fact_without_quote_is_refused(data_copy):
    path = data_copy / "measures" / "12_unemployment_benefit.yaml"
    _edit(path, lambda d: d["aspects"]["conditions"][0].update(quotes=[]))
    with pytest.raises(KbError, match=r"12_unemployment_benefit\.yaml: aspects\.conditions\.0.*quote"):
        load_kb(data_copy)


def test_bad_source_id_is_named(data_copy):
    path = data_copy / "measures" / "01_pension_deferral.yaml"
    _edit(path, lambda d: d["aspects"]["office"][0].update(sources=["att:1:telephone"]))
    with pytest.raises(KbError, match=r"01_pension_deferral\.yaml: aspects\.office\.0\.sources.*att:1:telephone"):
        load_kb(data_copy)


def test_unknown_field_is_named(data_copy):
    path = data_copy / "measures" / "09_graduate_hiring_subsidy.yaml"
    _edit(path, lambda d: d.update(deadline="2022-12-31"))
    with pytest.raises(KbError, match=r"09_graduate_hiring_subsidy\.yaml: deadline: extra fields not permitted"):
        load_kb(data_copy)


def test_unknown_service_entry_is_named(data_copy):
    path = data_copy / "measures" / "16_startup_loan.yaml"
    _edit(path, lambda d: d["service_entries"][0].update(entry="no_such_entry"))
    with pytest.raises(KbError, match=r"16_startup_loan\.yaml: service_entries\.0\.entry: unknown entry"):
        load_kb(data_copy)


def test_missing_measure_is_reported(data_copy):
    (data_copy / "measures" / "19_startup_subsidy.yaml").unlink()
    with pytest.raises(KbError, match=r"expected measures numbered 1-19"):
        load_kb(data_copy)


def test_broken_yaml_is_reported(data_copy):
    (data_copy / "facts.yaml").write_text("- key: [unclosed", encoding="utf-8")
    with pytest.raises(KbError, match=r"facts\.yaml: not valid YAML"):
        load_kb(data_copy)


def test_file_name_must_match_id(data_copy):
    measures = data_copy / "measures"
    (measures / "05_unemployment_rate_cut.yaml").rename(measures / "05_rate.yaml")
    with pytest.raises(KbError, match=r"must be named 05_unemployment_rate_cut\.yaml"):
        load_kb(data_copy)
