"""Hand-off from WeChat to a human agent through the running servers: the follower's 转人工 queues the
conversation in the staff panel, the agent takes it and answers, and each message of the agent reaches the
follower as a customer-service message (recorded by the fake WeChat API); the bot is silent meanwhile;
the follower's “结束人工服务” hands it back and the bot answers again."""
from __future__ import annotations

import time

from channels.staff.handoff import CLOSED, TAKEN

from tests.e2e.conftest import api
from tests.e2e.handoff_support import StaffClient, new_agent, wait_for
from tests.e2e.test_wechat import Follower, delivered


def _open_ids(agent: StaffClient):
    return {h["id"] for h in agent.call("GET", "/api/handoffs")["handoffs"]}


def test_wechat_follower_is_answered_by_an_agent_and_handed_back(servers, wechat_api):
    agent = StaffClient().login(new_agent())
    before = _open_ids(agent)  # polling the queue also makes this agent online
    follower = Follower(servers)

    asked = follower.say("转人工")
    assert "正在为您转接人工客服" in asked and "结束人工服务" in asked
    tracker = api(f"/conversations/{follower.openid}/tracker")
    assert tracker["paused"] is True
    assert [e["event"] for e in tracker["events"]].count("pause") == 1

    [number] = wait_for(lambda: _open_ids(agent) - before, what="the request in the queue")
    detail = agent.call("GET", f"/api/handoffs/{number}")
    assert detail["handoff"]["channel"] == "wechat" and detail["handoff"]["status"] == "queued"
    assert any(line["text"] == "转人工" for line in detail["transcript"] if line["from"] == "citizen")

    agent.call("POST", f"/api/handoffs/{number}/take")
    assert wait_for(lambda: TAKEN in delivered(wechat_api, follower.openid, 1), what="the greeting")

    assert follower.say("我们公司三十人，去年裁了6个，能拿稳岗返还吗") is None  # the bot stays silent
    wait_for(lambda: any("裁了6个" in line["text"] for line in agent.call("GET", f"/api/handoffs/{number}")["transcript"]),
             what="the follower's message in the panel")
    started = time.perf_counter()
    agent.call("POST", f"/api/handoffs/{number}/reply", {"text": "您好，裁员率20%，符合30人以下企业的条件。"})
    sent = wait_for(lambda: [m for m in delivered(wechat_api, follower.openid, 2) if m.startswith("【人工客服】")],
                    what="the agent's message by the customer-service API")
    print(f"\nagent reply → WeChat customer-service message: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert sent == ["【人工客服】您好，裁员率20%，符合30人以下企业的条件。"]

    # its own intent, so that analytics does not count it as a request for a human (human_handoff)
    assert api("/model/parse", {"text": "结束人工服务"})["intent"]["name"] == "end_handoff"
    started = time.perf_counter()
    assert follower.say("结束人工服务") is None
    assert wait_for(lambda: CLOSED in delivered(wechat_api, follower.openid, 3), what="the hand-back message")
    print(f"follower's 结束人工服务 → hand-back message: {(time.perf_counter() - started) * 1000:.0f} ms "
          f"(the watcher reads paused conversations every second)")
    assert wait_for(lambda: agent.call("GET", f"/api/handoffs/{number}")["handoff"]["status"] == "closed")
    assert api(f"/conversations/{follower.openid}/tracker")["paused"] is False

    answer = follower.say("失业金怎么领")
    assert answer.startswith("【失业保险金·办理流程】")


def test_asking_for_a_human_in_the_middle_of_an_eligibility_check_ends_the_check(servers, wechat_api):
    follower = Follower(servers)
    follower.say("我能领失业金吗")
    assert api(f"/conversations/{follower.openid}/tracker")["active_loop"].get("name") == "eligibility_form"
    asked = follower.say("转人工")
    assert "人工" in asked and "结束人工服务" in asked
    tracker = api(f"/conversations/{follower.openid}/tracker")
    assert tracker["paused"] is True and not tracker["active_loop"].get("name")
    assert follower.say("结束人工服务") is None
    assert wait_for(lambda: CLOSED in delivered(wechat_api, follower.openid, 1), what="the hand-back message")
    assert follower.say("失业金怎么领").startswith("【失业保险金·办理流程】")
