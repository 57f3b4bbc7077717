"""Hand-off to a human agent in the staff application: the queue, taking a conversation, replying, handing
back (agent's button and the citizen's "结束人工服务"), presence, roles and CSRF on the new routes — against
a fake of Rasa's conversations API that keeps trackers and records every call
(tests/e2e/test_handoff*.py run the same against the real servers)."""
from __future__ import annotations

import datetime as dt
from typing import Any, Dict, List

import pytest
import pytest_asyncio
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import select, update

from channels.staff import handoff, handoff_queue as queue
from channels.staff.app import create_app
from channels.staff.security import add_user
from tests.staff.conftest import PASSWORDS, Staff, free_port

pytestmark = pytest.mark.asyncio

TOKEN = "test-api-token"


class FakeRasa:
    """GET /conversations/{id}/tracker and POST …/tracker/events, as Rasa answers them (token required)."""

    def __init__(self):
        self.trackers: Dict[str, Dict[str, Any]] = {}
        self.posted: List[Dict[str, Any]] = []
        self.down = False

    def conversation(self, sender: str, channel: str = "socketio", paused: bool = True,
                     texts=("我要咨询，电话13812345678", "转人工")) -> None:
        events: List[Dict[str, Any]] = []
        for i, text in enumerate(texts):
            events.append({"event": "user", "text": text, "timestamp": 100.0 + i, "input_channel": channel,
                           "parse_data": {"intent": {"name": "human_handoff" if text == "转人工" else "out_of_scope"}}})
            events.append({"event": "bot", "text": f"回复{i}", "timestamp": 100.5 + i, "data": {"custom": {"unclear": True}}})
        if paused:
            events.append({"event": "pause", "timestamp": 110.0})
        self.trackers[sender] = {"sender_id": sender, "paused": paused, "events": events,
                                 "slots": {"measure": "job_retention_refund",
                                           "facts": {"insured_employees": 30, "layoffs_last_year": 6,
                                                     "no_such_fact": 1}}}

    def citizen_says(self, sender: str, text: str, intent: str = "inform", confidence: float = 0.9) -> None:
        events = self.trackers[sender]["events"]
        events.append({"event": "user", "text": text, "timestamp": events[-1]["timestamp"] + 1, "input_channel": "socketio",
                       "parse_data": {"intent": {"name": intent, "confidence": confidence}}})

    def app(self) -> web.Application:
        async def tracker(request: web.Request) -> web.Response:
            if request.query.get("token") != TOKEN:
                return web.json_response({"message": "unauthorised"}, status=401)
            if self.down:
                return web.json_response({}, status=500)
            sender = request.match_info["sender"]
            return web.json_response(self.trackers.get(sender) or {"sender_id": sender, "paused": False,
                                                                    "events": [], "slots": {}})

        async def events(request: web.Request) -> web.Response:
            if request.query.get("token") != TOKEN:
                return web.json_response({"message": "unauthorised"}, status=401)
            if self.down:
                return web.json_response({}, status=500)
            sender, body = request.match_info["sender"], await request.json()
            self.posted.append({"sender": sender, "query": dict(request.query), "events": body})
            tracker = self.trackers.setdefault(sender, {"sender_id": sender, "paused": False, "events": [], "slots": {}})
            for event in body:
                tracker["events"].append({**event, "timestamp": tracker["events"][-1]["timestamp"] + 1
                                          if tracker["events"] else 1.0})
                if event["event"] in ("pause", "resume"):
                    tracker["paused"] = event["event"] == "pause"
            return web.json_response({})

        app = web.Application()
        app.router.add_get("/conversations/{sender}/tracker", tracker)
        app.router.add_post("/conversations/{sender}/tracker/events", events)
        return app

    def sent_texts(self, sender: str) -> List[str]:
        return [e["text"] for call in self.posted if call["sender"] == sender for e in call["events"] if e["event"] == "bot"]


@pytest_asyncio.fixture
async def rasa(monkeypatch):
    fake = FakeRasa()
    port = free_port()
    server = TestServer(fake.app(), port=port)
    await server.start_server()
    monkeypatch.setenv("RASA_PORT", str(port))
    monkeypatch.setenv("RASA_API_TOKEN", TOKEN)
    monkeypatch.delenv(queue.HOURS_ENV, raising=False)
    yield fake
    await server.close()


class Desk:
    """The staff application with the fake Rasa; each browser() has its own cookies."""

    def __init__(self, server: TestServer):
        self.server, self.clients = server, []

    async def browser(self) -> Staff:
        client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return Staff(client)

    @property
    def session(self):  # an HTTP client for the watcher
        return self.clients[0].session


@pytest_asyncio.fixture
async def desk(engine, rasa, monkeypatch):
    monkeypatch.setattr(handoff, "WATCH", False)  # the tests run the watcher's rounds themselves
    add_user(engine, "agent2", "agent2-password-1", "agent")
    server = TestServer(create_app(engine=engine))
    await server.start_server()
    desk = Desk(server)
    await desk.browser()
    yield desk
    for client in desk.clients:
        await client.session.close()
    await server.close()


async def logged_in(desk, name: str) -> Staff:
    staff = await desk.browser()
    assert (await staff.login(name, PASSWORDS.get(name, "agent2-password-1"))).status == 200
    return staff


@pytest_asyncio.fixture
async def agent(desk):
    return await logged_in(desk, "agent")


def queued(engine, rasa, sender="web-1", channel="socketio") -> int:
    rasa.conversation(sender, channel)
    return queue.request(engine, sender, channel, "asked")


async def test_the_queue_needs_an_agent_or_admin(desk, engine, rasa):
    anonymous = await desk.browser()
    assert (await anonymous.get("/api/handoffs")).status == 401
    assert (await anonymous.get("/handoff", allow_redirects=False)).status == 302
    reviewer = await logged_in(desk, "reviewer")
    assert (await reviewer.get("/api/handoffs")).status == 403
    assert (await reviewer.get("/api/handoffs/status")).status == 403
    assert (await reviewer.post("/api/handoffs/1/take")).status == 403
    page = await reviewer.get("/handoff", allow_redirects=False)
    assert page.status == 302 and page.headers["Location"] == "/"
    nav = await reviewer.json("GET", "/api/session")
    assert "/handoff" not in [item["href"] for item in nav["nav"]]
    admin = await logged_in(desk, "admin")
    assert (await admin.get("/api/handoffs")).status == 200
    agent = await logged_in(desk, "agent")
    assert "/handoff" in [item["href"] for item in (await agent.json("GET", "/api/session"))["nav"]]
    assert (await agent.get("/handoff")).status == 200
    for name in handoff.FILES:
        assert (await agent.get(f"/static/{name}")).status == 200
        assert (await anonymous.get(f"/static/{name}")).status == 401


async def test_every_state_changing_route_needs_the_csrf_token(agent, engine, rasa):
    number = queued(engine, rasa)
    for action in ("take", "reply", "close"):
        response = await agent.post(f"/api/handoffs/{number}/{action}", {"text": "您好"}, csrf="wrong")
        assert response.status == 403, action
        response = await agent.post(f"/api/handoffs/{number}/{action}", {"text": "您好"},
                                    headers={"Origin": "http://evil.example"})
        assert response.status == 403, action
    assert queue.get(engine, number).status == "queued" and rasa.posted == []


async def test_queue_lists_requests_and_counts_agents_online(desk, agent, engine, rasa):
    assert queue.agents_online(engine) == 0  # logged in, but no page of the panel has polled yet
    number = queued(engine, rasa)
    data = await agent.json("GET", "/api/handoffs")
    assert data["queued"] == 1 and data["taken"] == 0 and data["agents_online"] == 1
    [row] = data["handoffs"]
    assert (row["id"], row["channel"], row["status"], row["reason"], row["mine"]) == (number, "socketio", "queued", "asked", False)
    assert queue.agents_online(engine) == 1
    # Presence lapses: a minute without polling, or the session ended.
    with engine.begin() as connection:
        connection.execute(update(queue.presence).values(last_seen=queue.db.now() - dt.timedelta(seconds=61)))
    assert queue.agents_online(engine) == 0
    await agent.json("GET", "/api/handoffs/status")
    assert queue.agents_online(engine) == 1
    await agent.post("/api/logout")
    assert queue.agents_online(engine) == 0
    # A reviewer's polling never makes an agent online (the route refuses it).
    reviewer = await logged_in(desk, "reviewer")
    await reviewer.get("/api/handoffs/status")
    assert queue.agents_online(engine) == 0


async def test_detail_shows_the_redacted_transcript_and_the_collected_facts(agent, engine, rasa):
    number = queued(engine, rasa)
    data = await agent.json("GET", f"/api/handoffs/{number}")
    texts = [(line["from"], line["text"]) for line in data["transcript"]]
    assert ("citizen", "我要咨询，电话138****5678") in texts and ("citizen", "转人工") in texts
    assert not any("13812345678" in text for _, text in texts)
    assert texts[-1] == ("system", "转入人工服务") and data["paused"] is True
    facts = {f["label"]: f["value"] for f in data["facts"]}
    assert facts["咨询的政策"] == "失业保险稳岗返还"
    assert any(value == "30人" for value in facts.values()) and any(value == "6人" for value in facts.values())
    assert len(data["facts"]) == 3  # the fact the knowledge base does not know is left out
    assert (await agent.get("/api/handoffs/999")).status == 404
    assert (await agent.get("/api/handoffs/abc")).status == 404


async def test_take_reply_and_hand_back(desk, agent, engine, rasa):
    number = queued(engine, rasa)
    taken = await agent.json("POST", f"/api/handoffs/{number}/take")
    assert taken["handoff"]["status"] == "taken" and taken["handoff"]["mine"] and taken["handoff"]["taken_by"] == "agent"
    [call] = rasa.posted
    assert call["query"]["output_channel"] == "socketio" and call["query"]["execute_side_effects"] == "true"
    assert call["events"] == [handoff.bot_event(handoff.TAKEN, "taken", "socketio")]

    other = await logged_in(desk, "agent2")
    conflict = await other.json("POST", f"/api/handoffs/{number}/take", status=409)
    assert "agent" in conflict["error"]
    assert (await other.post(f"/api/handoffs/{number}/reply", {"text": "我来"})).status == 403
    assert (await other.post(f"/api/handoffs/{number}/close")).status == 403

    await agent.json("POST", f"/api/handoffs/{number}/reply", {"text": " "}, status=400)
    await agent.json("POST", f"/api/handoffs/{number}/reply", {"text": "字" * 1001}, status=400)
    await agent.json("POST", f"/api/handoffs/{number}/reply", {"text": "您好，稳岗返还请在网上办事大厅申请。"})
    assert rasa.posted[-1]["events"] == [{"event": "bot", "text": "您好，稳岗返还请在网上办事大厅申请。",
                                          "data": {"custom": {"handoff": {"status": "agent"}}}}]
    lines = (await agent.json("GET", f"/api/handoffs/{number}"))["transcript"]
    assert lines[-1] == {"from": "agent", "text": "您好，稳岗返还请在网上办事大厅申请。", "at": lines[-1]["at"]}

    closed = await agent.json("POST", f"/api/handoffs/{number}/close")
    assert closed["handoff"]["status"] == "closed" and closed["handoff"]["closed_by"] == "agent"
    assert [e["event"] for e in rasa.posted[-1]["events"]] == ["resume", "bot", "action"]
    assert rasa.posted[-1]["events"][1]["text"] == handoff.CLOSED
    assert rasa.trackers["web-1"]["paused"] is False
    await agent.json("POST", f"/api/handoffs/{number}/close", status=409)
    await agent.json("POST", f"/api/handoffs/{number}/reply", {"text": "还在吗"}, status=409)
    assert (await agent.json("GET", "/api/handoffs"))["handoffs"] == []


async def test_wechat_agent_messages_are_labelled_and_go_to_the_wechat_channel(agent, engine, rasa):
    number = queued(engine, rasa, "oWeChatUser1234", "wechat")
    await agent.json("POST", f"/api/handoffs/{number}/take")
    await agent.json("POST", f"/api/handoffs/{number}/reply", {"text": "您好"})
    assert {call["query"]["output_channel"] for call in rasa.posted} == {"wechat"}
    assert rasa.sent_texts("oWeChatUser1234")[-1] == "【人工客服】您好"


async def test_an_admin_may_step_into_a_taken_conversation(desk, agent, engine, rasa):
    number = queued(engine, rasa)
    await agent.json("POST", f"/api/handoffs/{number}/take")
    admin = await logged_in(desk, "admin")
    await admin.json("POST", f"/api/handoffs/{number}/reply", {"text": "我是值班长"})
    await admin.json("POST", f"/api/handoffs/{number}/close")


async def test_rasa_down_is_said_plainly_and_nothing_is_lost(agent, engine, rasa):
    number = queued(engine, rasa)
    await agent.json("POST", f"/api/handoffs/{number}/take")
    rasa.down = True
    problem = await agent.json("POST", f"/api/handoffs/{number}/reply", {"text": "您好"}, status=503)
    assert "未能发出" in problem["error"]
    await agent.json("POST", f"/api/handoffs/{number}/close", status=503)
    assert queue.get(engine, number).status == "taken"  # still paused in Rasa, so still in the queue
    detail = await agent.json("GET", f"/api/handoffs/{number}")
    assert detail["warning"] and detail["transcript"] == []
    rasa.down = False
    await agent.json("POST", f"/api/handoffs/{number}/close")


async def test_citizen_ending_the_human_service_hands_back_once(desk, agent, engine, rasa):
    number = queued(engine, rasa)
    await agent.json("POST", f"/api/handoffs/{number}/take")
    rasa.citizen_says("web-1", "好的谢谢")
    await handoff.watch_once(desk.session, engine)
    assert queue.get(engine, number).status == "taken"
    assert handoff.WAITING not in rasa.sent_texts("web-1")  # a human has it: no reminder
    rasa.citizen_says("web-1", "结束人工服务。")
    await handoff.watch_once(desk.session, engine)
    row = queue.get(engine, number)
    assert (row.status, row.closed_by) == ("closed", "citizen")
    assert rasa.sent_texts("web-1")[-1] == handoff.CLOSED and rasa.trackers["web-1"]["paused"] is False
    await handoff.watch_once(desk.session, engine)
    assert rasa.sent_texts("web-1").count(handoff.CLOSED) == 1


async def test_a_paraphrase_the_nlu_reads_as_end_handoff_hands_back_too(desk, engine, rasa):
    number = queued(engine, rasa)
    rasa.citizen_says("web-1", "我不想等了", "end_handoff", 0.4)  # too unsure: only a reminder
    await handoff.watch_once(desk.session, engine)
    assert queue.get(engine, number).status == "queued"
    rasa.citizen_says("web-1", "还是让机器人回答吧", "end_handoff", 0.93)
    await handoff.watch_once(desk.session, engine)
    assert queue.get(engine, number).closed_by == "citizen" and rasa.sent_texts("web-1")[-1] == handoff.CLOSED


async def test_a_waiting_citizen_is_reminded_now_and_then(desk, engine, rasa):
    number = queued(engine, rasa)
    await handoff.watch_once(desk.session, engine)
    assert rasa.posted == []  # nothing new since the pause
    rasa.citizen_says("web-1", "有人吗")
    await handoff.watch_once(desk.session, engine)
    assert rasa.sent_texts("web-1") == [handoff.WAITING]
    assert "12333" in handoff.WAITING
    rasa.citizen_says("web-1", "在吗")
    await handoff.watch_once(desk.session, engine)
    assert rasa.sent_texts("web-1") == [handoff.WAITING]  # not again within WAITING_NOTE_SECONDS
    assert queue.get(engine, number).status == "queued"


async def test_a_conversation_no_longer_paused_leaves_the_queue(desk, engine, rasa):
    rasa.conversation("web-2", paused=False)
    number = queue.request(engine, "web-2", "socketio", "asked")
    await handoff.watch_once(desk.session, engine)
    assert queue.get(engine, number).status == "queued"  # just asked: the pause may still be on its way
    with engine.begin() as connection:
        connection.execute(update(queue.handoffs).values(requested_at=queue.db.now() - dt.timedelta(minutes=1)))
    await handoff.watch_once(desk.session, engine)
    row = queue.get(engine, number)
    assert (row.status, row.closed_by) == ("closed", "bot") and rasa.posted == []


async def test_asking_again_replaces_a_stale_request(engine):
    first = queue.request(engine, "web-3", "socketio", "asked")
    second = queue.request(engine, "web-3", "socketio", "offered")
    with engine.connect() as connection:
        rows = connection.execute(select(queue.handoffs.c.id, queue.handoffs.c.status)
                                  .order_by(queue.handoffs.c.id)).all()
    assert [tuple(r) for r in rows] == [(first, "closed"), (second, "queued")]
