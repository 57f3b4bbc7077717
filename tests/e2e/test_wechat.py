"""The WeChat channel on the running Rasa server (/webhooks/wechat/webhook) with the real bot: signed and
encrypted pushes as WeChat sends them, the fake WeChat API recording what the server sends back."""
from __future__ import annotations

import os
import signal
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlencode

import pytest

from channels.wechat.fake_platform import WeChatUser
from channels.wechat.settings import TEXT_LIMIT_BYTES

from tests.e2e.conftest import ROOT, WECHAT, api


class Follower(WeChatUser):
    def __init__(self, url: str) -> None:
        super().__init__(WECHAT["WECHAT_TOKEN"], WECHAT["WECHAT_APP_ID"], WECHAT["WECHAT_ENCODING_AES_KEY"])
        self.webhook = f"{url}/webhooks/wechat/webhook"

    def post(self, query: Dict[str, str], body: bytes) -> Tuple[int, str]:
        request = urllib.request.Request(f"{self.webhook}?{urlencode(query)}", data=body,
                                         headers={"Content-Type": "text/xml"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8")

    def send(self, xml: str, encrypted: bool = False) -> Optional[Dict[str, str]]:
        status, body = self.post(*self.push(xml, encrypted=encrypted))
        assert status == 200, body
        return self.read_reply(body, encrypted)

    def say(self, text: str, encrypted: bool = False) -> Optional[str]:
        reply = self.send(self.xml("text", Content=text), encrypted)
        return reply["Content"] if reply else None


def delivered(wechat_api, openid: str, count: int, timeout: float = 20.0) -> List[str]:
    for _ in range(int(timeout / 0.1)):
        if len(wechat_api.api.sent_to(openid)) >= count:
            break
        time.sleep(0.1)
    return wechat_api.api.sent_to(openid)


@pytest.fixture
def follower(servers):
    return Follower(servers)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
def test_signed_question_gets_a_well_formed_answer_about_the_benefit(follower, encrypted):
    reply = follower.send(follower.xml("text", Content="失业金怎么领"), encrypted=encrypted)
    assert reply["MsgType"] == "text" and reply["ToUserName"] == follower.openid
    assert reply["FromUserName"] == follower.account and reply["CreateTime"].isdigit()
    content = reply["Content"]
    assert content.startswith("【失业保险金·办理流程】") and len(content.encode()) <= TEXT_LIMIT_BYTES
    assert "依据：附件清单第12项" in content and "该政策持续实施" in content
    assert '<a href="http://rst.nmg.gov.cn/">' in content


def test_forged_and_replayed_pushes_are_refused(follower):
    query, body = follower.push(follower.xml("text", Content="失业金怎么领"))
    assert follower.post({**query, "signature": "0" * 40}, body)[0] == 403
    query, body = follower.push(follower.xml("text", Content="失业金怎么领"), encrypted=True)
    assert follower.post({**query, "msg_signature": "0" * 40}, body)[0] == 403
    assert follower.post(*follower.push(follower.xml("text", Content="x"), timestamp=int(time.time()) - 900))[0] == 403
    assert follower.post(follower.query(), b"<xml><unclosed>")[0] == 400
    assert follower.post(follower.query(), b"<xml>" + b"a" * 20000 + b"</xml>")[0] == 413


def test_url_verification(servers, follower):
    request = urllib.request.Request(f"{follower.webhook}?{urlencode(follower.query(echostr='8675309'))}")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.read() == b"8675309"


def test_each_message_type(follower, servers):
    reply = follower.send(follower.xml("event", Event="subscribe", EventKey=""))
    assert "稳经济政策助手" in reply["Content"] and "19项" in reply["Content"]
    reply = follower.send(follower.xml("voice", MediaId="m", Format="amr", Recognition="稳岗返还能返多少"))
    assert "稳岗返还" in reply["Content"] and "依据" in reply["Content"]
    assert "请发送文字" in follower.send(follower.xml("voice", MediaId="m", Format="amr"))["Content"]
    for msg_type in ("image", "video", "location", "link", "file"):
        assert "请输入文字问题" in follower.send(follower.xml(msg_type, Title="t", Url="http://e.com"))["Content"]
    reply = follower.send(follower.xml("event", Event="CLICK", EventKey="ASK_UNEMPLOYMENT_BENEFIT"))
    assert reply["Content"].startswith("【失业保险金")
    assert api(f"/conversations/{follower.openid}/tracker")["slots"]["measure"] == "unemployment_benefit"
    assert follower.send(follower.xml("event", Event="unsubscribe", EventKey="", CreateTime=str(int(time.time()) + 1))) is None
    tracker = api(f"/conversations/{follower.openid}/tracker")
    # the conversation ended: nothing said since, and what was being discussed is forgotten
    assert not [e for e in tracker["events"] if e["event"] == "user"] and tracker["slots"]["measure"] is None


def test_numbered_options_press_buttons(follower):
    assert "1. 养老保险费缓缴" in follower.say("缓缴怎么办")
    assert follower.say("2").startswith("【工伤保险费缓缴")
    question = follower.say("政策体检")
    assert "1. 单位" in question and "2. 个人" in question
    person_question = follower.say("2")  # 2 = 个人: the next question is about the person's situation
    assert "您目前的情况" in person_question and "（回复序号即可）" in person_question


def test_a_retry_storm_gets_one_answer_and_one_bot_run(follower, servers):
    xml = follower.xml("text", Content="创业担保贷款最多能贷多少", msg_id=987654321)
    with ThreadPoolExecutor(4) as pool:
        replies = list(pool.map(lambda _: follower.send(xml), range(4)))
    assert len({r["Content"] for r in replies}) == 1 and "创业担保贷款" in replies[0]["Content"]
    events = api(f"/conversations/{follower.openid}/tracker")["events"]
    assert [e.get("message_id") for e in events if e["event"] == "user"] == ["msg:987654321"]


def test_an_answer_longer_than_a_message_goes_by_the_customer_service_api(follower, wechat_api):
    assert follower.say("养老保险费缓缴的申请条件") is None  # `success`: the parts follow in order
    parts = delivered(wechat_api, follower.openid, 2)
    assert [p[:5] for p in parts] == ["（1/2）", "（2/2）"]
    assert all(len(p.encode()) <= TEXT_LIMIT_BYTES for p in parts)
    assert "【养老保险费缓缴·申请条件】" in parts[0] and "依据：" in parts[1] and "执行期满" in parts[1]


def test_an_expired_token_is_refreshed(follower, wechat_api):
    assert follower.say("养老保险费缓缴的申请条件") is None
    delivered(wechat_api, follower.openid, 2)
    calls = wechat_api.api.token_calls
    wechat_api.api.valid_tokens.clear()
    assert follower.say("养老保险费缓缴的申请条件") is None
    assert len(delivered(wechat_api, follower.openid, 4)) == 4
    assert wechat_api.api.token_calls == calls + 1


def test_a_slow_bot_answers_by_the_customer_service_api(follower, wechat_api, servers):
    """The action server stalls (paused for 4.6 s): WeChat gets `success` within the 5 seconds, the
    answer follows by the customer-service API, and WeChat's retry does not run the bot again."""
    actions = int((ROOT / "var" / "actions.pid").read_text())
    xml = follower.xml("text", Content="失业金怎么领")
    os.kill(actions, signal.SIGSTOP)
    resume = threading.Timer(4.6, os.kill, (actions, signal.SIGCONT))
    resume.start()
    try:
        started = time.monotonic()
        first = follower.send(xml)
        waited = time.monotonic() - started
        retry = follower.send(xml)
    finally:
        resume.join()
        os.kill(actions, signal.SIGCONT)
    assert first is None and retry is None and 3.9 <= waited < 5.0
    [answer] = delivered(wechat_api, follower.openid, 1)
    assert answer.startswith("【失业保险金·办理流程】") and "依据" in answer
    events = api(f"/conversations/{follower.openid}/tracker")["events"]
    assert len([e for e in events if e["event"] == "user"]) == 1
