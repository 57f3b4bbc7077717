"""The webhook's protocol and security through the real blueprint: verification, plain and 安全模式
pushes, every rejection, and every message type."""
from __future__ import annotations

import time

import aiohttp
import pytest

from channels.wechat import WeChatInput
from channels.wechat.fake_platform import WeChatUser
from channels.wechat.inbound import TEXT_ONLY
from channels.wechat.settings import MAX_BODY_BYTES

from .conftest import AES_KEY, APP_ID, TOKEN, ScriptedBot, settings_for, start_channel

pytestmark = pytest.mark.asyncio


async def get(wechat, query):
    async with wechat.http.get(wechat.url, params=query) as response:
        return response.status, await response.text()


async def test_get_verification_echoes_only_a_signed_echostr(wechat):
    assert await get(wechat, wechat.user.query(echostr="1234567890")) == (200, "1234567890")
    forged = {**wechat.user.query(echostr="1234567890"), "signature": "0" * 40}
    assert (await get(wechat, forged))[0] == 403
    assert (await get(wechat, {"echostr": "1234567890"}))[0] == 403
    stale = wechat.user.query(timestamp=int(time.time()) - 3600, echostr="1")
    assert (await get(wechat, stale))[0] == 403


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
async def test_text_gets_a_passive_reply(wechat, encrypted):
    status, reply = await wechat.push(wechat.user.xml("text", Content="失业金怎么领"), encrypted=encrypted)
    assert status == 200
    assert reply["Content"] == "收到：失业金怎么领" and reply["MsgType"] == "text"
    assert (reply["ToUserName"], reply["FromUserName"]) == (wechat.user.openid, wechat.user.account)
    [run] = wechat.bot.runs
    assert (run.sender_id, run.input_channel) == (wechat.user.openid, "wechat")


async def test_safe_mode_reply_is_encrypted_and_signed(wechat):
    query, body = wechat.user.push(wechat.user.xml("text", Content="你好"), encrypted=True)
    status, text = await wechat.post(query, body)
    assert status == 200 and "Encrypt" in text and "你好" not in text and "MsgSignature" in text
    assert wechat.user.read_reply(text, encrypted=True)["Content"] == "收到：你好"  # checks its msg_signature


async def test_forged_signature_is_refused_and_nothing_runs(wechat):
    query, body = wechat.user.push(wechat.user.xml("text", Content="失业金怎么领"))
    assert (await wechat.post({**query, "signature": "f" * 40}, body))[0] == 403
    assert (await wechat.post({k: v for k, v in query.items() if k != "signature"}, body))[0] == 403
    impostor = WeChatUser("wrong-token", APP_ID, AES_KEY, openid=wechat.user.openid)
    assert (await wechat.post(*impostor.push(impostor.xml("text", Content="失业金怎么领"))))[0] == 403
    assert wechat.bot.runs == []


async def test_forged_msg_signature_is_refused(wechat):
    query, body = wechat.user.push(wechat.user.xml("text", Content="失业金怎么领"), encrypted=True)
    assert (await wechat.post({**query, "msg_signature": "0" * 40}, body))[0] == 403
    tampered = body.replace(b"<Encrypt><![CDATA[", b"<Encrypt><![CDATA[AAAA")
    assert (await wechat.post(query, tampered))[0] == 403
    # encrypted by someone with another EncodingAESKey but our token: the signature holds, the content not
    other = WeChatUser(TOKEN, APP_ID, "Z" * 43, openid=wechat.user.openid)
    status, _ = await wechat.post(*other.push(other.xml("text", Content="x"), encrypted=True))
    assert status in (400, 403)
    assert wechat.bot.runs == []


async def test_replayed_timestamps_are_refused(wechat):
    for offset in (-3600, -301, 3600):
        query, body = wechat.user.push(wechat.user.xml("text", Content="失业金"), timestamp=int(time.time()) + offset)
        assert (await wechat.post(query, body))[0] == 403
    assert wechat.bot.runs == []


async def test_oversized_body_is_refused(wechat):
    xml = wechat.user.xml("text", Content="失" * (MAX_BODY_BYTES // 3 + 10))
    assert (await wechat.post(*wechat.user.push(xml)))[0] == 413

    async def chunks():  # no Content-Length: refused once the streamed body passes the limit
        for _ in range(100):
            yield b"<xml>" + b"a" * 1000

    async with wechat.http.post(wechat.url, params=wechat.user.query(), data=chunks()) as response:
        assert response.status == 413
    assert wechat.bot.runs == []


@pytest.mark.parametrize("body", [
    b"<xml><ToUserName>unclosed",
    b"not xml at all",
    b"",
    b"<html><body>hi</body></html>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
    b"<xml><FromUserName>&b;</FromUserName><MsgType>text</MsgType><Content>&b;</Content></xml>",
    b'<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<xml><FromUserName>o1</FromUserName><MsgType>text</MsgType><Content>&x;</Content></xml>",
], ids=["truncated", "text", "empty", "html", "entity-expansion", "external-entity"])
async def test_malformed_or_unsafe_xml_is_refused(wechat, body):
    status, text = await wechat.post(wechat.user.query(), body)
    assert status == 400 and "Traceback" not in text
    assert wechat.bot.runs == []


async def test_unconfigured_channel_answers_503_with_the_missing_variables(monkeypatch):
    for name in ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET"):
        monkeypatch.delenv(name, raising=False)
    channel = WeChatInput.from_credentials(None)
    server, url = await start_channel(channel, ScriptedBot())
    try:
        async with aiohttp.ClientSession() as http:
            for method in ("GET", "POST"):
                async with http.request(method, url, data=b"<xml/>") as response:
                    assert response.status == 503 and "WECHAT_TOKEN" in await response.text()
    finally:
        server.close()
        await server.wait_closed()


async def test_safe_mode_without_the_key_answers_503(fake_platform):
    fake, api_base = fake_platform
    bot = ScriptedBot()
    server, url = await start_channel(WeChatInput(settings_for(api_base, aes_key=None)), bot)
    user = WeChatUser(TOKEN, APP_ID, AES_KEY)
    try:
        async with aiohttp.ClientSession() as http:
            query, body = user.push(user.xml("text", Content="你好"), encrypted=True)
            async with http.post(url, params=query, data=body) as response:
                assert response.status == 503 and "WECHAT_ENCODING_AES_KEY" in await response.text()
            query, body = user.push(user.xml("text", Content="你好"))
            async with http.post(url, params=query, data=body) as response:  # plain mode still works
                assert user.read_reply(await response.text())["Content"] == "收到：你好"
    finally:
        server.close()
        await server.wait_closed()


async def test_voice_uses_the_recognition_or_asks_for_text(wechat):
    user = wechat.user
    _, reply = await wechat.push(user.xml("voice", MediaId="m1", Format="amr", Recognition="稳岗返还能返多少"))
    assert reply["Content"] == "收到：稳岗返还能返多少"
    _, reply = await wechat.push(user.xml("voice", MediaId="m2", Format="amr", Recognition=""))
    assert "请发送文字" in reply["Content"]
    _, reply = await wechat.push(user.xml("voice", MediaId="m3", Format="amr"))
    assert "请发送文字" in reply["Content"]
    assert wechat.bot.texts() == ["稳岗返还能返多少"]


@pytest.mark.parametrize("msg_type, fields", [
    ("image", {"PicUrl": "http://example.com/a.jpg", "MediaId": "m"}),
    ("video", {"MediaId": "m", "ThumbMediaId": "t"}),
    ("shortvideo", {"MediaId": "m", "ThumbMediaId": "t"}),
    ("location", {"Location_X": "40.65", "Location_Y": "109.84", "Scale": "15", "Label": "包头市"}),
    ("link", {"Title": "t", "Description": "d", "Url": "http://example.com"}),
    ("file", {"Title": "a.pdf", "FileKey": "k", "FileMd5": "x", "FileTotalLen": "10"}),
    ("sticker", {}),
])
async def test_non_text_messages_ask_for_text(wechat, msg_type, fields):
    for encrypted in (False, True):
        status, reply = await wechat.push(wechat.user.xml(msg_type, **fields), encrypted=encrypted)
        assert status == 200 and reply["Content"] == TEXT_ONLY
    assert wechat.bot.runs == []


async def test_subscribe_is_welcomed_by_the_bot_and_unsubscribe_ends_the_conversation(wechat):
    wechat.bot.replies["/greet"] = [{"text": "您好！我是稳经济政策助手，可以解答19项政策。", "custom": {"smalltalk": "greet"}}]
    _, reply = await wechat.push(wechat.user.xml("event", Event="subscribe", EventKey=""))
    assert reply["Content"].startswith("您好！我是稳经济政策助手")
    status, reply = await wechat.push(wechat.user.xml("event", Event="unsubscribe", EventKey=""))
    assert status == 200 and reply is None  # `success`: nobody to show anything to
    assert wechat.bot.texts() == ["/greet", "/restart"]


async def test_menu_clicks_ask_the_configured_question(wechat):
    _, reply = await wechat.push(wechat.user.xml("event", Event="CLICK", EventKey="ASK_UNEMPLOYMENT_BENEFIT"))
    assert reply["Content"] == "收到：失业保险金怎么申领"
    _, reply = await wechat.push(wechat.user.xml("event", Event="CLICK", EventKey="HELP", CreateTime="1"))
    assert reply["Content"] == "收到：/bot_challenge"
    _, reply = await wechat.push(wechat.user.xml("event", Event="CLICK", EventKey="NO_SUCH_KEY", CreateTime="2"))
    assert "请输入文字问题" in reply["Content"]
    status, reply = await wechat.push(wechat.user.xml("event", Event="VIEW", EventKey="http://example.com", CreateTime="3"))
    assert status == 200 and reply is None
    assert wechat.bot.texts() == ["失业保险金怎么申领", "/bot_challenge"]


@pytest.fixture
def limited(monkeypatch):
    """bot/limits.py's limits, counted afresh in this process: 20 messages a minute."""
    from bot import limits

    monkeypatch.setattr(limits, "_counter", limits.SenderCounter(""))
    monkeypatch.setenv("SENDER_RATE_LIMIT", "20/60")
    monkeypatch.delenv("MAX_MESSAGE_CHARS", raising=False)
    return limits


async def test_rate_limit_answers_politely_without_the_bot(wechat, limited):
    replies = [await wechat.say(f"问题{i}") for i in range(22)]
    assert replies[:20] == [f"收到：问题{i}" for i in range(20)]
    assert replies[20:] == [limited.TOO_FAST] * 2  # the reply every channel gives
    assert len(wechat.bot.runs) == 20


async def test_rate_limit_is_per_follower(wechat, limited):
    for i in range(21):
        await wechat.say(f"问题{i}")
    other = WeChatUser(TOKEN, APP_ID, AES_KEY)
    # MsgIds are unique per account in WeChat; the fake numbers them by the clock, so make this one unique too
    status, reply = await wechat.post(*other.push(other.xml("text", msg_id=1, Content="失业金怎么领")))
    assert status == 200 and other.read_reply(reply, False)["Content"] == "收到：失业金怎么领"


async def test_an_over_long_message_is_refused_politely_without_the_bot(wechat, limited):
    reply = await wechat.say("失业金" * 700)
    assert reply == limited.TOO_LONG.format(limit=2000)
    assert wechat.bot.runs == []
    assert await wechat.say("失业金怎么领") == "收到：失业金怎么领"


async def test_openids_never_appear_in_full_in_logs(wechat, caplog):
    caplog.set_level("DEBUG")
    wechat.bot.delay = 1.0  # the slow path logs about the user
    await wechat.say("失业金怎么领")
    wechat.fake.refusals.append(45015)
    await wechat.delivered(0)
    wechat.bot.delay = 0
    for i in range(22):
        await wechat.push(wechat.user.xml("text", Content=f"q{i}"))
    await wechat.channel.drain()
    assert caplog.records and not any(wechat.user.openid in r.getMessage() for r in caplog.records)
    assert not any(TOKEN in r.getMessage() or "test-secret" in r.getMessage() for r in caplog.records)
