"""The bot's side of the hand-off (actions/handoff.py): 转人工 queues the conversation and pauses the bot
(ConversationPaused, exactly once per request); what the citizen is told with and without agents online,
outside the service hours; the 转人工 offer after two failed turns; channels that cannot take a reply later."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from sqlalchemy import insert, select

from actions.respond import ActionRespond
from channels.staff import db, handoff_queue as queue
from channels.staff.security import _token_hash, add_user
from tests.actions.conftest import custom_payloads


@pytest.fixture
def engine(tmp_path, monkeypatch):
    engine = db.connect(f"sqlite:///{tmp_path / 'queue.db'}")
    monkeypatch.setattr(queue, "_engine", engine)
    monkeypatch.delenv(queue.HOURS_ENV, raising=False)
    return engine


def agent_online(engine) -> None:
    add_user(engine, "王芳", "agent-password-1", "agent")
    with engine.begin() as connection:
        connection.execute(insert(db.sessions).values(token_hash=_token_hash("t"), user_id=1, csrf_token="c",
                                                      created_at=db.now(), expires_at=db.now() + queue.dt.timedelta(hours=1)))
    queue.seen(engine, _token_hash("t"), 1)


def conversation(text: str, intent: str, channel: str = "socketio", before=(), confidence: float = 0.95) -> Tracker:
    """A tracker whose events hold earlier turns (user text, the bot's payload) and this message."""
    events = []
    for said, payload in before:
        events.append({"event": "user", "text": said, "input_channel": channel})
        events.append({"event": "bot", "text": "……", "data": {"custom": payload}})
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence},
              "intent_ranking": [{"name": intent, "confidence": confidence}], "entities": [], "metadata": {}}
    events.append({"event": "user", "text": text, "input_channel": channel, "parse_data": latest})
    return Tracker("web-123", {}, latest, events, False, None, {}, "action_listen")


def respond(dispatcher, tracker):
    return ActionRespond().respond(dispatcher, tracker)


def rows(engine):
    with engine.connect() as connection:
        return connection.execute(select(queue.handoffs.c.sender_id, queue.handoffs.c.channel,
                                         queue.handoffs.c.status, queue.handoffs.c.reason)).all()


def test_asking_for_a_human_queues_and_pauses(dispatcher, engine):
    agent_online(engine)
    events = respond(dispatcher, conversation("转人工", "human_handoff"))
    assert events == [{"event": "pause", "timestamp": None}]
    [payload] = custom_payloads(dispatcher)
    assert payload == {"smalltalk": "human_handoff", "handoff": {"status": "queued", "agents_online": True, "in_hours": True}}
    assert "正在为您转接人工客服" in dispatcher.messages[0]["text"] and "结束人工服务" in dispatcher.messages[0]["text"]
    assert [tuple(r) for r in rows(engine)] == [("web-123", "socketio", "queued", "asked")]


def test_no_agent_online_gives_12333_and_the_request_stays_queued(dispatcher, engine):
    events = respond(dispatcher, conversation("我要找人工客服", "human_handoff", channel="wechat"))
    assert [e["event"] for e in events] == ["pause"]
    text = dispatcher.messages[0]["text"]
    assert "目前没有人工客服在线" in text and "12333" in text and "已登记排队" in text
    assert custom_payloads(dispatcher)[0]["handoff"]["agents_online"] is False
    assert [tuple(r) for r in rows(engine)] == [("web-123", "wechat", "queued", "asked")]


def test_outside_service_hours_says_when_and_gives_12333(dispatcher, engine, monkeypatch):
    agent_online(engine)
    monkeypatch.setattr(queue, "in_service_hours", lambda moment=None: False)
    monkeypatch.setenv(queue.HOURS_ENV, "1-5 08:30-17:30")
    respond(dispatcher, conversation("转人工", "human_handoff"))
    text = dispatcher.messages[0]["text"]
    assert "不在人工客服服务时间（周一至周五 08:30-17:30）" in text and "12333" in text
    assert custom_payloads(dispatcher)[0]["handoff"]["in_hours"] is False
    assert rows(engine)[0].status == "queued"


def test_rest_and_terminal_get_the_hotline_and_are_not_paused(dispatcher, engine):
    events = respond(dispatcher, conversation("转人工", "human_handoff", channel="rest"))
    assert events == [] and dispatcher.messages[0]["response"] == "utter_human_handoff" and rows(engine) == []


def test_queue_unreachable_gives_the_hotline_instead_of_a_silent_pause(dispatcher, monkeypatch):
    monkeypatch.setattr(queue, "_engine", db.create_engine("sqlite:////nonexistent/dir/queue.db"))
    events = respond(dispatcher, conversation("转人工", "human_handoff"))
    assert events == [] and dispatcher.messages[0]["response"] == "utter_human_handoff"


def test_two_failed_turns_in_a_row_offer_a_human(dispatcher, engine):
    respond(dispatcher, conversation("阿巴阿巴", "nlu_fallback", confidence=0.2))
    assert "handoff_offer" not in custom_payloads(dispatcher)[0]  # the first failure: no offer yet
    dispatcher.messages.clear()
    respond(dispatcher, conversation("公积金怎么取", "out_of_scope", before=[("阿巴阿巴", {"unclear": True})]))
    [message] = dispatcher.messages
    assert message["custom"] == {"out_of_scope": True, "handoff_offer": True}
    assert {"title": "转人工", "payload": "/human_handoff"} in message["buttons"] and "转人工" in message["text"]
    # after a helpful answer the count starts again
    dispatcher.messages.clear()
    respond(dispatcher, conversation("公积金怎么取", "out_of_scope", before=[("失业金", {"measure": "x"})]))
    assert "handoff_offer" not in custom_payloads(dispatcher)[0]
    # pressing the button is recorded as an offered hand-off
    dispatcher.messages.clear()
    respond(dispatcher, conversation("/human_handoff", "human_handoff",
                                     before=[("公积金怎么取", {"out_of_scope": True, "handoff_offer": True})]))
    assert rows(engine)[0].reason == "offered"


def test_no_offer_where_no_human_can_answer(dispatcher, engine):
    respond(dispatcher, conversation("公积金怎么取", "out_of_scope", channel="rest", before=[("阿巴", {"unclear": True})]))
    assert custom_payloads(dispatcher) == [{"out_of_scope": True}] and not dispatcher.messages[0].get("buttons")


def test_ending_a_human_service_that_is_not_there(dispatcher, engine):
    # the exact words whatever the NLU made of them, and a paraphrase the NLU reads as end_handoff
    for text, intent, confidence in (("结束人工服务", "human_handoff", 0.96), ("我不需要人工客服了", "end_handoff", 0.9)):
        dispatcher.messages.clear()
        events = respond(dispatcher, conversation(text, intent, confidence=confidence))
        assert events == [] and custom_payloads(dispatcher) == [{"handoff": {"status": "none"}}] and rows(engine) == []


def test_asked_inside_an_eligibility_check_the_form_ends_and_the_bot_pauses(dispatcher, engine):
    """The form's validation action returns the pause with requested_slot None, which ends the form in Rasa."""
    import asyncio

    from actions.eligibility import ValidateEligibilityForm

    tracker = conversation("转人工", "human_handoff")
    tracker.slots.update({"check_measure": "job_retention_refund", "as_of": "2022-09-01", "pending_fact": "org_type",
                          "fact_answer": "转人工",
                          "requested_slot": "fact_answer"})
    tracker.active_loop = {"name": "eligibility_form"}
    tracker.events.append({"event": "slot", "name": "fact_answer", "value": "转人工"})  # as Rasa's from_text mapping sets it
    events = asyncio.run(ValidateEligibilityForm().run(dispatcher, tracker, {"slots": {"fact_answer": {}}, "forms": {
        "eligibility_form": {"required_slots": ["fact_answer"]}}}))
    assert [e["event"] for e in events].count("pause") == 1 and events[-1]["event"] == "pause", (events, dispatcher.messages)
    assert events[-2] == {"event": "slot", "name": "requested_slot", "value": None, "timestamp": None}
    assert rows(engine)[0].status == "queued" and "人工" in dispatcher.messages[-1]["text"]
