"""What the panel shows for a parsed sentence (the shape Rasa's /model/parse returns), decided by the
router's own rules; the SMS text; and the account command (password from stdin, never argv)."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select

from actions.resolution import decide
from channels.staff import db
from channels.staff.assist import SMS_PART, assist, sms_parts

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2022, 9, 1)


def parse(text, ranking, entities=()):
    """A /model/parse result: intent, its ranking, entities."""
    ranking = [{"name": name, "confidence": confidence} for name, confidence in ranking]
    return {"text": text, "intent": ranking[0], "intent_ranking": ranking,
            "entities": [{"entity": entity, "value": value} for entity, value in entities]}


def test_a_named_measure_with_facts_is_selected_and_its_checklist_prefilled():
    message = parse("我们是做餐饮的小企业，能申请稳岗返还吗",
                    [("ask_job_retention_refund", 0.97), ("ask_job_expansion_subsidy", 0.02)],
                    [("measure", "job_retention_refund"), ("industry", "catering"), ("enterprise_size", "small"),
                     ("aspect", "conditions"), ("self_check", "true")])
    view = assist(message, DAY)
    assert view["decision"] == decide(message).kind == "answer"
    assert [c["measure"] for c in view["candidates"]] == ["job_retention_refund"]
    assert view["candidates"][0]["named"] and view["candidates"][0]["confidence"] == 0.97
    assert view["selected"] == "job_retention_refund" and view["aspect"] == "conditions"
    assert view["facts"] == {"industry": "catering", "enterprise_size": "small"}
    check = view["view"]["check"]
    assert check["result"]["status"] == "undetermined"
    fields = [field["key"] for field in check["fields"]]
    assert "industry" in fields and "org_type" in fields
    assert view["view"]["answers"]["conditions"]["heading"] == "【失业保险稳岗返还·申请条件】"


def test_when_unsure_the_top_three_are_offered():
    # The bot's NLU reads 怎么申请 as the process aspect; the classifier is unsure which measure.
    message = parse("那个补贴怎么申请", [("ask_job_expansion_subsidy", 0.41), ("ask_graduate_hiring_subsidy", 0.33),
                                    ("ask_retention_training_subsidy", 0.12), ("ask_startup_loan", 0.04)],
                    [("aspect", "process")])
    view = assist(message, DAY)
    assert view["decision"] in ("clarify", "unclear", "which_measure")
    assert view["notice"]
    assert [c["measure"] for c in view["candidates"]] == [
        "job_expansion_subsidy", "graduate_hiring_subsidy", "retention_training_subsidy"]
    assert view["selected"] == "job_expansion_subsidy" and view["view"]["measure"] == "job_expansion_subsidy"


def test_out_of_scope_shows_no_measure():
    message = parse("公积金怎么提取", [("out_of_scope", 0.93), ("ask_unemployment_benefit", 0.03)],
                    [("out_of_scope", "公积金")])
    view = assist(message, DAY)
    assert view["decision"] == "out_of_scope" and view["selected"] is None and view["view"] is None
    assert "12333" in view["notice"]


def test_a_follow_up_keeps_the_measure_under_discussion():
    message = parse("那要什么材料", [("ask_followup", 0.8)], [("aspect", "materials")])
    view = assist(message, DAY, context_measure="unemployment_benefit", context_aspect="process")
    assert view["selected"] == "unemployment_benefit" and view["aspect"] == "materials"


def test_a_fact_value_the_engine_refuses_is_not_prefilled():
    message = parse("稳岗返还", [("ask_job_retention_refund", 0.99)],
                    [("measure", "job_retention_refund"), ("enterprise_size", "gigantic")])
    assert assist(message, DAY)["facts"] == {}


def test_sms_parts():
    assert sms_parts("字" * 70) == 1
    assert sms_parts("字" * 71) == 2
    assert sms_parts("字" * (SMS_PART * 2 + 1)) == 3


def _cli(*args, stdin="", database=None):
    env = {**os.environ, "DATABASE_URL": database}
    return subprocess.run([sys.executable, "-m", "channels.staff", *args], input=stdin, capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)


def test_the_account_command_reads_the_password_from_stdin(tmp_path):
    database = f"sqlite:///{tmp_path / 'cli.db'}"
    added = _cli("users", "add", "wang", "--role", "agent", stdin="a-long-password\n", database=database)
    assert added.returncode == 0, added.stderr
    assert "已创建账号 wang（agent）" in added.stdout and "a-long-password" not in added.stdout
    with db.connect(database).connect() as connection:
        stored = connection.execute(select(db.users.c.password_hash)).scalar_one()
    assert stored.startswith("scrypt$")
    again = _cli("users", "add", "wang", "--role", "agent", stdin="a-long-password\n", database=database)
    assert again.returncode == 2 and "已存在" in again.stderr
    short = _cli("users", "add", "li", "--role", "agent", stdin="short\n", database=database)
    assert short.returncode == 2 and "至少需要10个字符" in short.stderr
    assert _cli("users", "add", "li", "--role", "boss", stdin="a-long-password\n", database=database).returncode == 2
    assert _cli("users", "disable", "wang", database=database).returncode == 0
    listed = _cli("users", "list", database=database)
    assert "wang\tagent\t已停用" in listed.stdout
    assert _cli("users", "disable", "nobody", database=database).returncode == 2
