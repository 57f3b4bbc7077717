"""The staff panel's assist against the real Rasa server: the bot's own NLU model and router decide
what the panel shows. The application runs in-process on a fresh SQLite database; `make servers`
(scripts/servers.sh) also starts it on STAFF_PORT, which the last test checks."""
from __future__ import annotations

import statistics
import time
import urllib.error
import urllib.request

import pytest
import pytest_asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot import settings
from channels.staff import db
from channels.staff.app import create_app
from channels.staff.security import add_user

PASSWORD = "e2e-agent-password"


@pytest_asyncio.fixture
async def agent(servers, tmp_path):
    engine = db.connect(f"sqlite:///{tmp_path / 'staff.db'}")
    add_user(engine, "e2e", PASSWORD, "agent")
    client = TestClient(TestServer(create_app(engine=engine)))
    await client.start_server()
    token = (await (await client.get("/api/login")).json())["csrf"]
    response = await client.post("/api/login", json={"name": "e2e", "password": PASSWORD},
                                 headers={"X-CSRF-Token": token})
    csrf = (await response.json())["csrf"]

    async def assist(text, **extra):
        response = await client.post("/api/assist", json={"text": text, **extra}, headers={"X-CSRF-Token": csrf})
        data = await response.json()
        assert response.status == 200, data
        return data

    yield assist
    await client.close()


@pytest.mark.asyncio
async def test_a_callers_sentence_gives_the_measure_answer_and_prefilled_checklist(agent):
    data = await agent("我们是做餐饮的小企业，想问问能不能申请稳岗返还", as_of="2022-09-01")
    assert data["decision"] == "answer" and data["selected"] == "job_retention_refund"
    assert data["candidates"][0]["named"] and data["candidates"][0]["confidence"] > 0.5
    assert data["facts"] == {"industry": "catering", "enterprise_size": "small"}
    view = data["view"]
    assert view["answers"][data["aspect"]]["citation"].startswith("依据：")
    assert "仍在执行期内" in view["answers"]["overview"]["validity"]
    keys = [field["key"] for field in view["check"]["fields"]]
    assert "enterprise_size" in keys
    assert view["check"]["result"]["status"] == "undetermined"


@pytest.mark.asyncio
async def test_a_described_situation_is_resolved_by_the_classifier(agent):
    data = await agent("公司把我辞退了，每个月能领点钱吗")
    assert data["selected"] in ("unemployment_benefit", "unemployment_allowance")
    assert data["view"]["answers"]["overview"]["heading"].startswith("【失业")


@pytest.mark.asyncio
async def test_a_topic_word_offers_the_measures_to_choose_from(agent):
    data = await agent("缓缴怎么办")
    assert data["decision"] == "clarify"
    assert [c["measure"] for c in data["candidates"]] == ["pension_deferral", "injury_deferral", "unemployment_deferral"]
    assert data["aspect"] == "process" and data["notice"]


@pytest.mark.asyncio
async def test_a_follow_up_continues_with_the_selected_measure(agent):
    data = await agent("那要什么材料？", context_measure="unemployment_benefit", context_aspect="process")
    assert data["selected"] == "unemployment_benefit" and data["aspect"] == "materials"


@pytest.mark.asyncio
async def test_out_of_scope_and_personal_numbers(agent):
    data = await agent("公积金怎么提取")
    assert data["decision"] == "out_of_scope" and data["view"] is None
    masked = await agent("我身份证150203199001011234，手机13812345678，失业金怎么领")
    assert "150203199001011234" not in str(masked) and "13812345678" not in str(masked)
    assert masked["selected"] == "unemployment_benefit"


@pytest.mark.asyncio
async def test_assist_latency(agent):
    """Not a timed assertion: prints the figures README reports (parse and total, sequential)."""
    sentences = ["失业金怎么领", "稳岗返还的标准是多少", "我想创业，能贷多少款", "缓缴怎么办", "技能提升补贴要什么材料"] * 4
    totals, parses = [], []
    for sentence in sentences:
        started = time.perf_counter()
        data = await agent(sentence)
        totals.append((time.perf_counter() - started) * 1000)
        parses.append(data["timing_ms"]["parse"])
    totals.sort()
    print(f"\nassist over HTTP, {len(totals)} sequential: p50 {statistics.median(totals):.0f} ms, "
          f"p95 {totals[int(len(totals) * 0.95) - 1]:.0f} ms, max {totals[-1]:.0f} ms; "
          f"Rasa parse p50 {statistics.median(parses):.0f} ms")


def test_make_servers_starts_the_staff_application(servers):
    base = f"http://127.0.0.1:{settings.staff_port()}"
    with urllib.request.urlopen(f"{base}/login", timeout=10) as response:
        assert response.status == 200 and "登录" in response.read().decode("utf-8")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{base}/api/session", timeout=10)
    assert refused.value.code == 401
