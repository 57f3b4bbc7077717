"""The analytics, the review inbox and the conversations browser, in-process, on SQLite and on the real
PostgreSQL (skipped, saying so, when it cannot be reached): four conversations written through the
redacting tracker store as Rasa writes them, and every number, list, verdict and export checked."""
from __future__ import annotations

import asyncio
import datetime as dt
import os

import pytest
import pytest_asyncio
import sqlalchemy as sa
import yaml
from aiohttp.test_utils import TestClient, TestServer
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, ActiveLoop, BotUttered, ConversationPaused, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.text import luhn_ok
from bot.tracker_store import RedactingSQLTrackerStore
from channels.staff import analytics_store, db
from channels.staff.app import create_app
from channels.staff.security import add_user

from .conftest import PASSWORDS, Staff, free_port

CHINA = analytics_store.CHINA
DAY1, DAY2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)
CARD = next("622202123456789" + d for d in "0123456789" if luhn_ok("622202123456789" + d))
PHONE = "13812345678"
POSTGRES_URL = os.environ.get("TEST_ANALYTICS_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/policybot_analytics_test")
TABLES = ("staff_reviews", "analytics_events", "analytics_state", "staff_login_failures", "staff_sessions",
          "staff_users", "events")


def at(day: dt.date, hour: int, minute: int = 0) -> float:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=CHINA).timestamp()


def user(text, intent, confidence, channel, ts):
    return UserUttered(text, intent={"name": intent, "confidence": confidence}, input_channel=channel, timestamp=ts,
                       parse_data={"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": []})


def bot(text, custom, ts):
    return BotUttered(text, data={"custom": custom}, timestamp=ts)


def conversations():
    """Four conversations, two on each day: what each query must count is worked out in the tests."""
    t1, t2 = at(DAY1, 10), at(DAY2, 15)
    return {
        "a-rest": [  # an answer, then an out-of-scope question
            user("稳岗返还的条件是什么", "ask_job_retention_refund", 0.95, "rest", t1),
            bot("【失业保险稳岗返还·申请条件】…", {"measure": "job_retention_refund", "aspect": "conditions"}, t1 + 1),
            user("公积金怎么提取", "out_of_scope", 0.9, "rest", t1 + 60),
            bot("抱歉，这个问题不在我能解答的范围内。", {"out_of_scope": True}, t1 + 61)],
        "b-socketio": [  # a clarification, then a message not understood, with a card and a phone number
            user("那个补贴咋弄啊", "ask_topic", 0.4, "socketio", t1 + 120),
            bot("您问的是哪一项？", {"clarify": ["job_expansion_subsidy", "graduate_hiring_subsidy"], "aspect": None},
                t1 + 121),
            user(f"我的卡号{CARD}，电话{PHONE}，钱到了没", "nlu_fallback", 0.2, "socketio", t1 + 180),
            bot("抱歉，我没有理解您的问题。", {"unclear": True}, t1 + 181)],
        "c-rest": [  # a low-confidence question, then an eligibility check left at the second question
            user("俺们厂子那个返还的钱能拿不", "ask_job_retention_refund", 0.5, "rest", t2),
            bot("【失业保险稳岗返还·申请条件】…", {"measure": "job_retention_refund", "aspect": "conditions"}, t2 + 1),
            ActiveLoop("eligibility_form", timestamp=t2 + 2),
            bot("贵单位参加失业保险的职工有多少人？",
                {"asking": {"fact": "insured_employees", "type": "int", "for": "job_retention_refund"}}, t2 + 3),
            user("30个人", "inform", 0.9, "rest", t2 + 30),
            bot("上年度贵单位裁员多少人？",
                {"asking": {"fact": "layoffs_last_year", "type": "int", "for": "job_retention_refund"}}, t2 + 31)],
        "d-wechat": [  # an answer, a finished check, then a hand-off to a person
            user("失业金怎么领", "ask_unemployment_benefit", 0.99, "wechat", t2 + 100),
            bot("【失业保险金·办理流程】…", {"measure": "unemployment_benefit", "aspect": "process"}, t2 + 101),
            ActiveLoop("eligibility_form", timestamp=t2 + 102),
            bot("您是否已办理失业登记？",
                {"asking": {"fact": "registered_unemployed", "type": "bool", "for": "unemployment_benefit"}}, t2 + 103),
            user("是的", "affirm", 0.97, "wechat", t2 + 130),
            ActiveLoop(None, timestamp=t2 + 131),
            bot("按通知所列条件，您符合……", {"eligibility": {"measure": "unemployment_benefit", "eligible": True}}, t2 + 132),
            user("我要找人工", "human_handoff", 0.9, "wechat", t2 + 160),
            bot("如需人工服务，请拨打12333。", {"smalltalk": "human_handoff"}, t2 + 161),
            ConversationPaused(timestamp=t2 + 162)],
    }


def fill(url: str) -> None:
    """Save the conversations through the bot's tracker store (so the rows are exactly Rasa's, redacted)."""
    if url.startswith("sqlite:///"):
        store = RedactingSQLTrackerStore(domain=Domain.empty(), db=url[len("sqlite:///"):])
    else:
        parsed = sa.engine.make_url(url)
        store = RedactingSQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=parsed.host,
                                         port=parsed.port, db=parsed.database, username=parsed.username,
                                         password=parsed.password)

    async def save_all():
        for sender, events in conversations().items():
            tracker = DialogueStateTracker(sender, [])
            tracker.update(ActionExecuted("action_listen", timestamp=events[0].timestamp - 1))
            for event in events:
                tracker.update(event)
                if isinstance(event, BotUttered):
                    tracker.update(ActionExecuted("action_listen", timestamp=event.timestamp))
            await store.save(tracker)
    asyncio.run(save_all())
    store.engine.dispose()


def _postgres() -> str:
    try:
        server = sa.create_engine(POSTGRES_URL.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT",
                                  connect_args={"connect_timeout": 3})
        with server.connect() as connection:
            name = POSTGRES_URL.rsplit("/", 1)[1]
            if not connection.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).first():
                connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        server.dispose()
    except Exception as error:  # the reason is shown in the skip message
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set TEST_ANALYTICS_DATABASE_URL): "
                    f"{str(error).strip().splitlines()[0]}")
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        for table in TABLES:
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'trackers.db'}" if request.param == "sqlite" else _postgres()
    fill(url)
    return url


@pytest_asyncio.fixture
async def client(store_url, monkeypatch):
    monkeypatch.setenv("RASA_PORT", str(free_port()))  # no Rasa server: the panel's assist is not used here
    engine = db.connect(store_url)
    for role, password in PASSWORDS.items():
        add_user(engine, role, password, role)
    test_client = TestClient(TestServer(create_app(engine=engine)))
    await test_client.start_server()
    await test_client.app["analytics_catch_up"]
    yield Staff(test_client), engine
    await test_client.close()
    engine.dispose()


@pytest_asyncio.fixture
async def reviewer(client):
    staff, _ = client
    assert (await staff.login("reviewer")).status == 200
    return staff


BOTH_DAYS = f"from={DAY1}&to={DAY2}"
pytestmark = pytest.mark.asyncio


async def test_every_number_of_the_analytics_page(reviewer):
    data = await reviewer.json("GET", f"/api/analytics?{BOTH_DAYS}")
    assert data["days"] == [{"day": "2026-11-02", "conversations": 2, "messages": 4},
                            {"day": "2026-11-03", "conversations": 2, "messages": 5}]
    assert data["totals"] == {"conversations": 4, "messages": 9}
    rates = {key: value["messages"] for key, value in data["rates"].items()}
    # 补贴咋弄 is below the confidence bar too, but it was clarified: each message has one reason.
    assert rates == {"out_of_scope": 1, "unclear": 1, "clarify": 1, "low_confidence": 1, "answered": 3}
    assert data["rates"]["out_of_scope"]["rate"] == round(1 / 9, 4)
    assert data["measures"] == [{"measure": "job_retention_refund", "messages": 2, "name": "6. 失业保险稳岗返还"},
                                {"measure": "unemployment_benefit", "messages": 1, "name": "12. 失业保险金"}]
    assert [(a["aspect"], a["messages"], a["label"]) for a in data["aspects"]] == [("conditions", 2, "申请条件"),
                                                                                   ("process", 1, "办理流程")]
    checks = data["checks"]
    assert (checks["started"], checks["finished"], checks["stopped"]) == (2, 1, 0)
    assert [(d["fact"], d["conversations"], d["label"]) for d in checks["dropoff"]] == [
        ("layoffs_last_year", 1, "上年度裁员人数")]
    assert data["handoffs"] == {"paused": 1, "requested": 1}
    assert [c["channel"] for c in data["channels"]] == ["rest", "socketio", "wechat"]


async def test_the_numbers_follow_the_date_range_and_the_channel(reviewer):
    first_day = await reviewer.json("GET", f"/api/analytics?from={DAY1}&to={DAY1}")
    assert first_day["totals"] == {"conversations": 2, "messages": 4}
    assert first_day["checks"]["started"] == 0 and first_day["handoffs"] == {"paused": 0, "requested": 0}
    rest = await reviewer.json("GET", f"/api/analytics?{BOTH_DAYS}&channel=rest")
    assert rest["totals"] == {"conversations": 2, "messages": 4}
    assert rest["rates"]["out_of_scope"]["messages"] == 1 and rest["rates"]["unclear"]["messages"] == 0
    assert [m["measure"] for m in rest["measures"]] == ["job_retention_refund"]
    assert rest["checks"]["dropoff"][0]["fact"] == "layoffs_last_year" and rest["checks"]["finished"] == 0
    wechat = await reviewer.json("GET", f"/api/analytics?{BOTH_DAYS}&channel=wechat")
    assert wechat["handoffs"] == {"paused": 1, "requested": 1} and wechat["checks"]["finished"] == 1
    nothing = await reviewer.json("GET", "/api/analytics?from=2025-01-01&to=2025-01-31")
    assert nothing["totals"] == {"conversations": 0, "messages": 0} and len(nothing["days"]) == 31


async def test_the_analytics_csv_has_the_same_numbers(reviewer):
    response = await reviewer.get(f"/api/analytics.csv?{BOTH_DAYS}")
    assert response.status == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = [line.split(",") for line in (await response.text()).lstrip("\ufeff").splitlines()]
    assert ["messages_per_day", "2026-11-03", "消息数", "5", ""] in rows
    assert ["rates", "out_of_scope", "超出范围", "1", str(round(1 / 9, 4))] in rows
    assert ["dropoff", "layoffs_last_year", "上年度裁员人数", "1", ""] in rows
    assert ["handoffs", "paused", "转人工（机器人暂停）", "1", ""] in rows


async def test_the_flagged_messages_are_listed_redacted(reviewer):
    listing = await reviewer.json("GET", f"/api/analytics/messages?{BOTH_DAYS}")
    assert listing["total"] == 4
    by_flag = {m["flag"]: m for m in listing["messages"]}
    assert set(by_flag) == {"out_of_scope", "unclear", "clarify", "low_confidence"}
    assert by_flag["low_confidence"]["text"] == "俺们厂子那个返还的钱能拿不"
    assert by_flag["low_confidence"]["measure"] == "job_retention_refund"
    unclear = by_flag["unclear"]["text"]
    assert CARD not in unclear and PHONE not in unclear
    assert f"{CARD[:4]}{'*' * 8}{CARD[-4:]}" in unclear and "138****5678" in unclear
    only = await reviewer.json("GET", f"/api/analytics/messages?{BOTH_DAYS}&flag=out_of_scope")
    assert [m["text"] for m in only["messages"]] == ["公积金怎么提取"]
    response = await reviewer.get(f"/api/analytics/messages.csv?{BOTH_DAYS}")
    text = await response.text()
    assert response.status == 200 and "公积金怎么提取" in text and CARD not in text and PHONE not in text


async def test_nothing_personal_is_stored_in_clear(client):
    _, engine = client
    with engine.connect() as connection:
        stored = " ".join(row[0] for row in connection.execute(sa.text("SELECT data FROM events")))
    assert CARD not in stored and PHONE not in stored and "138****5678" in stored


async def review_by_text(reviewer, text):
    listing = await reviewer.json("GET", f"/api/analytics/messages?{BOTH_DAYS}")
    return next(m for m in listing["messages"] if m["text"].startswith(text))


async def test_a_reviewer_reads_the_context_corrects_and_exports(reviewer):
    clarified = await review_by_text(reviewer, "那个补贴咋弄啊")
    item = await reviewer.json("GET", f"/api/review/items/{clarified['id']}")
    assert [e["type"] for e in item["context"]] == ["user", "bot", "user", "bot"]
    assert item["context"][1]["custom"]["clarify"] == ["job_expansion_subsidy", "graduate_hiring_subsidy"]
    assert CARD not in str(item) and PHONE not in str(item)

    saved = await reviewer.json("POST", f"/api/review/items/{clarified['id']}",
                                {"verdict": "correct", "measure": "job_expansion_subsidy", "aspect": "process"})
    assert saved["review"]["intent"] == "ask_job_expansion_subsidy" and saved["review"]["reviewer"] == "reviewer"
    low = await review_by_text(reviewer, "俺们厂子")
    await reviewer.json("POST", f"/api/review/items/{low['id']}", {"verdict": "confirm", "aspect": "conditions"})
    unclear = await review_by_text(reviewer, "我的卡号")
    await reviewer.json("POST", f"/api/review/items/{unclear['id']}",
                        {"verdict": "correct", "intent": "ask_unemployment_benefit"})
    out = await review_by_text(reviewer, "公积金怎么提取")
    await reviewer.json("POST", f"/api/review/items/{out['id']}", {"verdict": "out_of_scope"})
    # Reviewing again replaces the verdict.
    await reviewer.json("POST", f"/api/review/items/{low['id']}", {"verdict": "confirm", "aspect": "amount"})

    still_open = await reviewer.json("GET", f"/api/analytics/messages?{BOTH_DAYS}&status=open")
    assert still_open["total"] == 0
    listing = await reviewer.json("GET", f"/api/analytics/messages?{BOTH_DAYS}")
    assert {m["review"]["verdict"] for m in listing["messages"]} == {"correct", "confirm", "out_of_scope"}

    response = await reviewer.get("/api/review/export.yml")
    exported = await response.text()
    assert response.status == 200 and CARD not in exported and PHONE not in exported
    data = yaml.safe_load(exported)
    blocks = {block["intent"]: block["examples"].splitlines() for block in data["nlu"]}
    assert blocks["ask_job_expansion_subsidy"] == ["- 那个补贴咋弄啊"]
    assert blocks["ask_job_retention_refund"] == ["- 俺们厂子那个返还的钱能拿不"]
    assert blocks["ask_unemployment_benefit"] == [f"- 我的卡号{CARD[:4]}{'*' * 8}{CARD[-4:]}，电话138****5678，钱到了没"]
    assert "out_of_scope" not in blocks  # 公积金怎么提取 is in data/nlu/out_of_scope.yml already
    assert "已在训练数据中 1 条" in exported
    assert "# 并入 data/nlu/measures/08_job_expansion_subsidy.yml\n- intent: ask_job_expansion_subsidy" in exported

    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader
    training = RasaYAMLReader().reads(exported)
    assert sorted(training.intents) == ["ask_job_expansion_subsidy", "ask_job_retention_refund", "ask_unemployment_benefit"]

    csv_text = await (await reviewer.get("/api/review/export.csv")).text()
    lines = csv_text.lstrip("\ufeff").splitlines()
    assert len(lines) == 5 and CARD not in csv_text and PHONE not in csv_text
    assert ",confirm,ask_job_retention_refund,job_retention_refund,amount,reviewer," in csv_text


async def test_bad_verdicts_are_refused_in_chinese(reviewer):
    unclear = await review_by_text(reviewer, "我的卡号")
    path = f"/api/review/items/{unclear['id']}"
    assert "确认" in (await reviewer.json("POST", path, {"verdict": "maybe"}, status=400))["error"]
    assert "无法确认" in (await reviewer.json("POST", path, {"verdict": "confirm"}, status=400))["error"]
    assert "意图" in (await reviewer.json("POST", path, {"verdict": "correct", "intent": "no_such"}, status=400))["error"]
    assert "不一致" in (await reviewer.json("POST", path, {"verdict": "correct", "intent": "ask_startup_loan",
                                                          "measure": "job_retention_refund"}, status=400))["error"]
    assert "政策" in (await reviewer.json("POST", path, {"verdict": "correct", "measure": "nope"}, status=400))["error"]
    assert (await reviewer.json("POST", "/api/review/items/999999", {"verdict": "out_of_scope"}, status=404))["error"]
    assert (await reviewer.json("GET", "/api/review/items/abc", status=404))["error"]
    response = await reviewer.post(path, {"verdict": "out_of_scope"}, csrf="wrong")
    assert response.status == 403
    assert (await reviewer.json("GET", "/api/analytics?from=2026-13-01", status=400))["error"] == "日期格式应为 YYYY-MM-DD。"
    assert "开始日期" in (await reviewer.json("GET", f"/api/analytics?from={DAY2}&to={DAY1}", status=400))["error"]


async def test_the_conversations_browser_searches_and_opens_redacted(reviewer):
    async def senders(query, days=BOTH_DAYS):
        listing = await reviewer.json("GET", f"/api/conversations?{days}{query}")
        assert listing["total"] == len(listing["conversations"])
        return sorted(c["sender"] for c in listing["conversations"])

    assert await senders("") == ["a-rest", "b-socketio", "c-rest", "d-wechat"]
    assert await senders("&channel=rest") == ["a-rest", "c-rest"]
    assert await senders("&measure=job_retention_refund") == ["a-rest", "c-rest"]
    assert await senders("&measure=6") == ["a-rest", "c-rest"]  # the measure's number works too
    assert await senders("&outcome=abandoned") == ["c-rest"]
    assert await senders("&outcome=handoff") == ["d-wechat"]
    assert await senders("&outcome=out_of_scope") == ["a-rest"]
    assert await senders("&outcome=eligibility") == ["d-wechat"]
    assert await senders("&outcome=unclear", days=f"from={DAY2}&to={DAY2}") == []
    assert await senders("&outcome=unclear") == ["b-socketio"]
    listing = await reviewer.json("GET", f"/api/conversations?{BOTH_DAYS}&channel=socketio")
    opened = await reviewer.json("GET", f"/api/conversations/{listing['conversations'][0]['id']}")
    texts = [e["text"] for e in opened["events"]]
    assert texts[0] == "那个补贴咋弄啊" and len([e for e in opened["events"] if e["type"] == "user"]) == 2
    assert CARD not in str(opened) and PHONE not in str(opened)
    assert (await reviewer.json("GET", "/api/conversations/999999", status=404))["error"] == "没有这段对话。"
    assert (await reviewer.json("GET", f"/api/conversations?{BOTH_DAYS}&outcome=nope", status=400))["error"]


async def test_new_conversations_are_counted_on_the_next_request(client, reviewer):
    _, engine = client
    before = await reviewer.json("GET", f"/api/analytics?{BOTH_DAYS}")
    url = str(engine.url)
    await asyncio.get_running_loop().run_in_executor(None, _add_one, url, "医保怎么报销", "out_of_scope",
                                                     {"out_of_scope": True})
    after = await reviewer.json("GET", f"/api/analytics?{BOTH_DAYS}")
    assert after["totals"]["messages"] == before["totals"]["messages"] + 1
    assert after["rates"]["out_of_scope"]["messages"] == before["rates"]["out_of_scope"]["messages"] + 1
    # "请问您想了解哪一项政策…" (which_measure, no candidates) is a clarifying question too.
    await asyncio.get_running_loop().run_in_executor(None, _add_one, url, "那个钱咋弄", "ask_followup",
                                                     {"which_measure": True, "aspect": "process"})
    latest = await reviewer.json("GET", f"/api/analytics?{BOTH_DAYS}")
    assert latest["rates"]["clarify"]["messages"] == before["rates"]["clarify"]["messages"] + 1
    flagged = await reviewer.json("GET", f"/api/analytics/messages?{BOTH_DAYS}&flag=clarify")
    assert "那个钱咋弄" in [m["text"] for m in flagged["messages"]]


def _add_one(url: str, text: str, intent: str, custom: dict) -> None:
    """One more message and its reply, written as Rasa writes them, by another connection."""
    import json
    import time

    from channels.staff import analytics_store as store

    engine = sa.create_engine(url)
    ts = at(DAY2, 20)
    with engine.begin() as connection:
        for type_name, data in (("user", {"event": "user", "timestamp": ts, "text": text, "input_channel": "rest",
                                          "parse_data": {"intent": {"name": intent, "confidence": 0.8}}}),
                                ("bot", {"event": "bot", "timestamp": ts + 1, "text": "……", "data": {"custom": custom}})):
            connection.execute(store.rasa_events.insert().values(
                sender_id=f"e-late-{intent}", type_name=type_name, timestamp=data["timestamp"],
                intent_name=intent if type_name == "user" else None, data=json.dumps(data)))
    # PostgreSQL waits for events to settle (concurrent replicas); the test's events are old enough.
    assert time.time() - ts > 5
    engine.dispose()


async def test_agents_cannot_open_analytics_review_or_conversations(client):
    staff, _ = client
    assert (await staff.login("agent")).status == 200
    for path in ("/analytics", "/review", "/conversations", f"/api/analytics?{BOTH_DAYS}", "/api/review/options",
                 "/api/review/export.yml", "/api/review/export.csv", f"/api/conversations?{BOTH_DAYS}",
                 "/static/analytics/echarts.min.js", f"/api/analytics.csv?{BOTH_DAYS}"):
        response = await staff.get(path)
        assert response.status == 403, path
        assert (await response.json())["error"] == "您的账号没有权限使用此功能。"
    assert (await staff.post("/api/review/items/1", {"verdict": "out_of_scope"})).status == 403
    session = await staff.json("GET", "/api/session")
    assert [n["href"] for n in session["nav"]] == ["/", "/handoff"]


async def test_without_a_session_every_analytics_route_asks_for_a_login(client):
    staff, _ = client
    assert (await staff.get("/api/analytics")).status == 401
    response = await staff.get("/analytics", allow_redirects=False)
    assert response.status == 302 and response.headers["Location"] == "/login"


async def test_the_admin_sees_every_page_in_the_navigation(client):
    staff, _ = client
    assert (await staff.login("admin")).status == 200
    session = await staff.json("GET", "/api/session")
    assert [n["href"] for n in session["nav"]] == ["/", "/handoff", "/analytics", "/review", "/conversations"]
    assert (await staff.get("/static/analytics/echarts.min.js")).status == 200
