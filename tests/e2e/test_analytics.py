"""The analytics, the review inbox and the conversations browser on real conversations: people talk to
the running bot through the REST channel (answers, out-of-scope questions, personal numbers, an
abandoned eligibility check, a request for a person); the Rasa server writes them to its tracker store.
Those conversations (read back through the Rasa API, exactly as stored) are saved into a fresh store —
SQLite, and the machine's PostgreSQL — so every number can be checked against what the bot replied;
then reviewed messages export as YAML that `rasa data validate` accepts and `rasa train nlu` trains on.
The browser tests (Debian's chromium) log in as a reviewer, see the charts drawn, relabel a message and
export; an agent cannot open the inbox. Screenshots in var/test-artifacts/staff/.
"""
from __future__ import annotations

import asyncio
import collections
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from bot import settings
from bot.text import luhn_ok

from tests.e2e.conftest import Chat, api

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "var" / "test-artifacts" / "staff"
CARD = next("621700123456789012" + d for d in "0123456789" if luhn_ok("621700123456789012" + d))
ID_NUMBER, PHONE = "150203199001011234", "13812345678"
POSTGRES_URL = os.environ.get("TEST_ANALYTICS_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/policybot_analytics_test")
PASSWORDS = {"reviewer": "e2e-reviewer-password", "agent": "e2e-agent-password"}

# What people said, conversation by conversation (the eligibility check is left at its second question).
SCRIPTS = {
    "answers": ["稳岗返还的条件是什么", "失业金怎么领", "公积金怎么提取"],
    "personal": [f"我的身份证号是{ID_NUMBER}，手机{PHONE}，银行卡{CARD}，失业金打到这张卡上吗", "医保报销比例是多少"],
    "abandoned_check": ["我们公司能申请稳岗返还吗", "30个人"],
    "unsure": ["那个钱咋弄", "呃呃呃呃", "我要找人工客服"],
}


def _chat_all(url: str):
    """Run the scripts through the REST channel; for each conversation, each message's reply payloads."""
    replies = {}
    for name, lines in SCRIPTS.items():
        chat = Chat(url, as_of="2022-09-01")
        replies[name] = (chat.sender, [(line, chat.ask(line)) for line in lines])
    return replies


@pytest.fixture(scope="module")
def talked(servers):
    replies = _chat_all(servers)
    trackers = {name: api(f"/conversations/{sender}/tracker") for name, (sender, _) in replies.items()}
    return replies, trackers


def _save(url: str, trackers) -> None:
    """Write the trackers, as the Rasa API returned them, into a fresh tracker store through the bot's store."""
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import RedactingSQLTrackerStore

    if url.startswith("sqlite:///"):
        store = RedactingSQLTrackerStore(domain=Domain.empty(), db=url[len("sqlite:///"):])
    else:
        parsed = sa.engine.make_url(url)
        store = RedactingSQLTrackerStore(domain=Domain.empty(), dialect="postgresql", host=parsed.host,
                                         port=parsed.port, db=parsed.database, username=parsed.username)

    slots = Domain.load(str(ROOT / "bot" / "domain")).slots

    async def save_all():
        for tracker in trackers.values():
            await store.save(DialogueStateTracker.from_dict(tracker["sender_id"], tracker["events"], slots))
    asyncio.run(save_all())
    store.engine.dispose()


def _fresh_postgres() -> str:
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
        for table in ("staff_reviews", "analytics_events", "analytics_state", "staff_login_failures",
                      "staff_sessions", "staff_users", "events"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table} CASCADE"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store_url(request, talked, tmp_path_factory):
    url = (f"sqlite:///{tmp_path_factory.mktemp('analytics') / 'trackers.db'}" if request.param == "sqlite"
           else _fresh_postgres())
    _save(url, talked[1])
    return url


def _expected(replies, trackers):
    """The numbers the analytics must show, worked out from what the bot replied and the trackers."""
    kinds = collections.Counter()
    measures = collections.Counter()
    for _, turns in replies.values():
        for _, payloads in turns:
            said = {kind for kind in ("out_of_scope", "unclear", "clarify", "which_measure") for p in payloads if kind in p}
            said = {"clarify" if kind == "which_measure" else kind for kind in said}
            # each message counts under its first reason: out of scope, unclear, clarified
            first = next((kind for kind in ("out_of_scope", "unclear", "clarify") if kind in said), None)
            if first:
                kinds[first] += 1
            answers = [p["measure"] for p in payloads if "measure" in p]
            if answers:  # the first answer's measure
                measures[answers[0]] += 1
    events = [e for t in trackers.values() for e in t["events"]]
    started = sum(1 for e in events if e["event"] == "active_loop" and e.get("name") in ("eligibility_form",
                                                                                         "checkup_form"))
    handoff_requests = sum(1 for e in events if e["event"] == "user"
                           and (e.get("parse_data") or {}).get("intent", {}).get("name") == "human_handoff")
    last_asked = [p["asking"]["fact"] for _, payloads in replies["abandoned_check"][1] for p in payloads if "asking" in p]
    return kinds, measures, started, handoff_requests, last_asked[-1]


@pytest.fixture
def staff(store_url, monkeypatch):
    """A reviewer's client of the staff application on the filled store (in-process, real HTTP)."""
    from aiohttp.test_utils import TestClient, TestServer

    from channels.staff import db
    from channels.staff.app import create_app
    from channels.staff.security import add_user

    engine = db.connect(store_url)
    for role, password in PASSWORDS.items():
        try:
            add_user(engine, role, password, role)
        except Exception:  # the account exists from the previous test on this store
            pass

    class Client:
        def __init__(self):
            self.loop = asyncio.new_event_loop()
            self.client = TestClient(TestServer(create_app(engine=engine)), loop=self.loop)
            self.loop.run_until_complete(self.client.start_server())
            self.loop.run_until_complete(self.client.app["analytics_catch_up"])
            token = self.get_json("/api/login")["csrf"]
            self.csrf = self.post_json("/api/login", {"name": "reviewer", "password": PASSWORDS["reviewer"]},
                                       csrf=token)["csrf"]

        def _run(self, coroutine):
            return self.loop.run_until_complete(coroutine)

        def get_json(self, path, status=200):
            response = self._run(self.client.get(path))
            data = self._run(response.json())
            assert response.status == status, data
            return data

        def get_text(self, path):
            response = self._run(self.client.get(path))
            assert response.status == 200
            return self._run(response.text())

        def post_json(self, path, body, csrf=None, status=200):
            response = self._run(self.client.post(path, json=body, headers={"X-CSRF-Token": csrf or self.csrf}))
            data = self._run(response.json())
            assert response.status == status, data
            return data

        def close(self):
            self._run(self.client.close())
            self.loop.close()

    client = Client()
    yield client
    client.close()
    engine.dispose()


def _days():
    from channels.staff.analytics import today

    day = today()
    return f"from={day.fromordinal(day.toordinal() - 1)}&to={day}"


def test_the_analytics_count_what_the_bot_replied(talked, staff):
    replies, trackers = talked
    kinds, measures, started, handoff_requests, last_asked = _expected(replies, trackers)
    data = staff.get_json(f"/api/analytics?{_days()}")
    assert data["totals"] == {"conversations": len(SCRIPTS), "messages": sum(map(len, SCRIPTS.values()))}
    assert sum(d["messages"] for d in data["days"]) == data["totals"]["messages"]
    assert kinds["out_of_scope"] >= 2  # 公积金 and 医保 at least
    for kind in ("out_of_scope", "unclear", "clarify"):
        assert data["rates"][kind]["messages"] == kinds[kind], kind
    assert {m["measure"]: m["messages"] for m in data["measures"]} == dict(measures)
    assert measures["job_retention_refund"] >= 1 and measures["unemployment_benefit"] >= 1
    assert data["checks"]["started"] == started >= 1
    assert data["checks"]["finished"] == 0
    assert [(d["fact"], d["conversations"]) for d in data["checks"]["dropoff"]] == [(last_asked, 1)]
    assert data["handoffs"]["requested"] == handoff_requests
    assert [c["channel"] for c in data["channels"]] == ["rest"]
    rest = staff.get_json(f"/api/analytics?{_days()}&channel=rest")
    assert rest["totals"] == data["totals"]
    assert staff.get_json(f"/api/analytics?{_days()}&channel=wechat")["totals"]["messages"] == 0


def test_personal_numbers_are_masked_in_the_bots_store_and_in_every_export(talked, staff, store_url, servers):
    replies, _ = talked
    # The Rasa server's own store (the bot's DATABASE_URL, SQLite by default).
    sender = replies["personal"][0]
    url = settings.database_url()
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as connection:
            stored = " ".join(r[0] for r in connection.execute("select data from events where sender_id = ?", (sender,)))
    else:
        engine = sa.create_engine(url)
        with engine.connect() as connection:
            stored = " ".join(r[0] for r in connection.execute(sa.text("select data from events where sender_id = :s"),
                                                               {"s": sender}))
        engine.dispose()
    for number in (ID_NUMBER, PHONE, CARD):
        assert number not in stored
    assert f"{CARD[:4]}{'*' * 11}{CARD[-4:]}" in stored and "138****5678" in stored

    listing = staff.get_json(f"/api/analytics/messages?{_days()}")
    personal = [m for m in listing["messages"] if m["text"].startswith("我的身份证号")]
    exports = [str(listing), staff.get_text(f"/api/analytics/messages.csv?{_days()}"),
               staff.get_text(f"/api/analytics.csv?{_days()}"), staff.get_text("/api/review/export.csv"),
               staff.get_text("/api/review/export.yml")]
    conversations = staff.get_json(f"/api/conversations?{_days()}")
    exports += [str(staff.get_json(f"/api/conversations/{c['id']}")) for c in conversations["conversations"]]
    if personal:  # the message was flagged: review it, so it is in the review exports as well
        staff.post_json(f"/api/review/items/{personal[0]['id']}", {"verdict": "correct",
                                                                   "intent": "ask_unemployment_benefit"})
        exports += [staff.get_text("/api/review/export.csv"), staff.get_text("/api/review/export.yml")]
        assert "138****5678" in exports[-1]
    joined = " ".join(exports)
    assert "150203********1234" in joined
    for number in (ID_NUMBER, PHONE, CARD):
        assert number not in joined


def test_the_conversations_browser_finds_the_abandoned_check(talked, staff):
    replies, _ = talked
    listing = staff.get_json(f"/api/conversations?{_days()}&outcome=abandoned")
    assert [c["messages"] for c in listing["conversations"]] == [len(SCRIPTS["abandoned_check"])]
    opened = staff.get_json(f"/api/conversations/{listing['conversations'][0]['id']}")
    assert [e["text"] for e in opened["events"] if e["type"] == "user"] == SCRIPTS["abandoned_check"]
    assert any(e["type"] == "active_loop" for e in opened["events"])
    by_measure = staff.get_json(f"/api/conversations?{_days()}&measure=job_retention_refund")
    assert by_measure["total"] >= 2  # the answers and the check
    assert staff.get_json(f"/api/conversations?{_days()}&outcome=out_of_scope")["total"] >= 2


def _review_everything(staff):
    """Review each flagged message as a person would: the measure meant, or out of scope."""
    listing = staff.get_json(f"/api/analytics/messages?{_days()}&limit=200")
    assert listing["total"] >= 3
    chosen = {"那个钱咋弄": {"verdict": "correct", "measure": "job_retention_refund", "aspect": "process"},
              "呃呃呃呃": {"verdict": "out_of_scope"},
              "我的身份证号": {"verdict": "correct", "intent": "ask_unemployment_benefit"}}
    for message in listing["messages"]:
        body = next((v for k, v in chosen.items() if message["text"].startswith(k)), None)
        if body is None:
            trainable = message["intent"] not in (None, "nlu_fallback", "choose_measure")
            body = {"verdict": "confirm" if trainable and message["flag"] != "out_of_scope" else "out_of_scope"}
        staff.post_json(f"/api/review/items/{message['id']}", body)
    return listing


def test_reviewed_messages_export_as_yaml_that_rasa_validates_and_trains(talked, staff, store_url, tmp_path):
    if not store_url.startswith("sqlite"):
        pytest.skip("the export is the same text on PostgreSQL (checked in tests/staff); rasa runs once")
    _review_everything(staff)
    exported = staff.get_text("/api/review/export.yml")
    data = yaml.safe_load(exported)
    assert data["nlu"], exported
    for block in data["nlu"]:
        assert f"- intent: {block['intent']}" in exported
    assert "- 那个钱咋弄" in exported and "# 并入 data/nlu/measures/06_job_retention_refund.yml" in exported
    export = tmp_path / "reviewed_nlu.yml"
    export.write_text(exported, encoding="utf-8")
    rasa = str(Path(sys.executable).parent / "rasa")
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    validate = subprocess.run([rasa, "data", "validate", "--config", "bot/config.yml", "--domain", "bot/domain",
                               "--data", "data", str(export)], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=900)
    assert validate.returncode == 0, validate.stdout[-3000:] + validate.stderr[-3000:]
    # A small NLU training (one DIET epoch on the same tokenizer and features) on data/nlu plus the export:
    # the full training takes minutes on this machine; this proves the merged data trains.
    nlu = tmp_path / "nlu"
    shutil.copytree(ROOT / "data" / "nlu", nlu)
    shutil.copy(export, nlu / "reviewed_nlu.yml")
    config = yaml.safe_load((ROOT / "bot" / "config.yml").read_text(encoding="utf-8"))
    pipeline = [c for c in config["pipeline"] if c["name"] != "FallbackClassifier"]
    for component in pipeline:
        if component["name"] == "DIETClassifier":
            component.update(epochs=1, number_of_transformer_layers=0)
    (tmp_path / "config.yml").write_text(yaml.safe_dump({**config, "pipeline": pipeline, "policies": []},
                                                        allow_unicode=True), encoding="utf-8")
    train = subprocess.run([rasa, "train", "nlu", "--config", str(tmp_path / "config.yml"), "--nlu", str(nlu),
                            "--out", str(tmp_path / "models"), "--fixed-model-name", "reviewed"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=1200)
    assert train.returncode == 0, train.stdout[-3000:] + train.stderr[-3000:]
    assert (tmp_path / "models" / "reviewed.tar.gz").exists()


# ---- in a real browser ---------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
browser_only = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make browser)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def staff_server(talked, tmp_path_factory):
    """The staff application as its own process on a store filled with the conversations above."""
    url = f"sqlite:///{tmp_path_factory.mktemp('analytics-browser') / 'trackers.db'}"
    _save(url, talked[1])
    port = _free_port()
    env = {**os.environ, "STAFF_PORT": str(port), "DATABASE_URL": url}
    for role, password in PASSWORDS.items():
        subprocess.run([sys.executable, "-m", "channels.staff", "users", "add", f"{role}1", "--role", role],
                       input=password + "\n", text=True, env=env, cwd=ROOT, check=True, capture_output=True)
    log = open(tmp_path_factory.mktemp("analytics-log") / "staff.log", "w")
    process = subprocess.Popen([sys.executable, "-m", "channels.staff", "serve"], env=env, cwd=ROOT,
                               stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(60):
        try:
            urllib.request.urlopen(f"{base}/login", timeout=2)
            break
        except OSError:
            assert process.poll() is None, "the staff application stopped while starting"
            time.sleep(0.5)
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture
def page(staff_server):
    playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make install)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN", accept_downloads=True)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        # The agent's refused page is a 403 the browser reports as "Failed to load resource"; anything else is a bug.
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        yield page
        browser.close()
        assert not errors, errors  # no script error and no CSP violation


def _login(page, base, name, password):
    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("#login-button")
    page.wait_for_url(f"{base}/")
    expect(page.locator("#user")).to_contain_text(name)


# Whether a canvas has anything drawn on it: some pixel that is not fully transparent.
DRAWN = """(id) => { const canvas = document.querySelector(`#${id} canvas`); if (!canvas) return 0;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let drawn = 0; for (let i = 3; i < data.length; i += 4) if (data[i] > 0) drawn++; return drawn; }"""


@browser_only
def test_a_reviewer_sees_the_charts_relabels_a_message_and_exports(page, staff_server):
    from playwright.sync_api import expect

    _login(page, staff_server, "reviewer1", PASSWORDS["reviewer"])
    expect(page.locator("#nav a", has_text="咨询分析")).to_be_visible()
    page.click("#nav a:has-text('咨询分析')")
    page.wait_for_url(f"{staff_server}/analytics")
    expect(page.locator("body[data-loaded=true]")).to_have_count(1)
    expect(page.locator("#kpi-messages")).to_have_text(str(sum(map(len, SCRIPTS.values()))))
    for chart in ("chart-daily", "chart-measures", "chart-aspects", "chart-dropoff"):
        assert page.evaluate(DRAWN, chart) > 500, f"{chart} is empty"
    expect(page.locator("#table-measures tbody tr").first).to_contain_text("失业保险")
    expect(page.locator("#table-flagged tbody tr").first).to_be_visible()
    assert ID_NUMBER not in page.content() and CARD not in page.content()
    page.screenshot(path=str(ARTIFACTS / "analytics-01-page.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#csv-summary")
    assert "messages_per_day" in Path(download.value.path()).read_text(encoding="utf-8-sig")

    page.click("#nav a:has-text('审核收件箱')")
    page.wait_for_url(f"{staff_server}/review")
    expect(page.locator("body[data-loaded=true]")).to_have_count(1)
    row = page.locator("#items tbody tr", has_text="那个钱咋弄")
    expect(row).to_have_count(1)
    row.click()
    expect(page.locator("#context li.focus")).to_contain_text("那个钱咋弄")
    page.select_option("#measure", "job_retention_refund")
    expect(page.locator("#intent")).to_have_value("ask_job_retention_refund")
    page.select_option("#aspect", "amount")
    page.click("#correct")
    expect(page.locator("#saved")).to_contain_text("已保存：已更正（意图 ask_job_retention_refund）")
    page.screenshot(path=str(ARTIFACTS / "analytics-02-review.png"), full_page=True)
    expect(page.locator("#items tbody tr", has_text="那个钱咋弄")).to_have_count(0)  # no longer open
    with page.expect_download() as download:
        page.click("#export-yaml")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "- intent: ask_job_retention_refund" in exported and "- 那个钱咋弄" in exported

    page.click("#nav a:has-text('对话记录')")
    page.wait_for_url(f"{staff_server}/conversations")
    expect(page.locator("body[data-loaded=true]")).to_have_count(1)
    page.select_option("#outcome", "abandoned")
    page.click("#filters button[type=submit]")
    expect(page.locator("#list tbody tr")).to_have_count(1)
    page.locator("#list tbody tr").first.click()
    expect(page.locator("#transcript")).to_contain_text(SCRIPTS["abandoned_check"][1])
    page.screenshot(path=str(ARTIFACTS / "analytics-03-conversation.png"), full_page=True)


@browser_only
def test_an_agent_cannot_open_the_inbox(page, staff_server):
    from playwright.sync_api import expect

    _login(page, staff_server, "agent1", PASSWORDS["agent"])
    expect(page.locator("#nav a")).to_have_count(2)  # the assist panel and the hand-off queue
    response = page.goto(f"{staff_server}/review")
    assert response.status == 403
    assert "没有权限" in page.content()
    assert page.goto(f"{staff_server}/api/review/export.yml").status == 403
    page.screenshot(path=str(ARTIFACTS / "analytics-04-agent-refused.png"), full_page=True)
