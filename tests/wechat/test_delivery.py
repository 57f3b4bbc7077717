"""Answering each MsgId once, the 5-second rule, the customer-service API (token cache, expiry, retries,
refusals), long answers, numbered options, and two replicas sharing Redis."""
from __future__ import annotations

import asyncio
import json
import time

import aiohttp
import pytest

from channels.wechat import WeChatInput
from channels.wechat.api import WeChatAPI
from channels.wechat.fake_platform import WeChatUser
from channels.wechat.render import split
from channels.wechat.settings import TEXT_LIMIT_BYTES
from channels.wechat.store import MemoryStore, RedisStore

from .conftest import (AES_KEY, APP_ID, PASSIVE, REDIS_URL, TOKEN, Harness, ScriptedBot, redis_or_skip, settings_for,
                       start_channel)

pytestmark = pytest.mark.asyncio


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "safe-mode"])
async def test_a_retry_storm_runs_the_bot_once_and_repeats_the_reply(wechat, encrypted):
    wechat.bot.delay = 0.2
    xml = wechat.user.xml("text", Content="失业金怎么领", msg_id=424242)
    storm = await asyncio.gather(*(wechat.push(xml, encrypted=encrypted) for _ in range(4)))
    later = await wechat.push(xml, encrypted=encrypted)  # WeChat's retry after the answer went out
    contents = {reply["Content"] for status, reply in [*storm, later] if status == 200}
    assert contents == {"收到：失业金怎么领"} and all(status == 200 for status, _ in storm)
    assert len(wechat.bot.runs) == 1 and wechat.fake.sent == []


async def test_a_slow_answer_goes_by_the_customer_service_api(wechat):
    wechat.bot.delay = PASSIVE + 2.0
    xml = wechat.user.xml("text", Content="失业金怎么领")
    started = time.monotonic()
    status, reply = await wechat.push(xml)
    assert status == 200 and reply is None  # `success` at the budget, not when the bot is done
    assert time.monotonic() - started < PASSIVE + 1.0
    status, reply = await wechat.push(xml)  # WeChat would not retry after `success`; if it did: no second run
    assert reply is None
    assert await wechat.delivered(1) == ["收到：失业金怎么领"]
    assert len(wechat.bot.runs) == 1 and wechat.fake.token_calls == 1


async def test_the_token_is_cached_and_refreshed_when_refused(wechat):
    wechat.bot.delay = PASSIVE + 0.2
    await wechat.say("第一问")
    await wechat.delivered(1)
    await wechat.say("第二问")
    await wechat.delivered(2)
    assert wechat.fake.token_calls == 1  # cached
    wechat.fake.valid_tokens.clear()  # the platform expired it early (e.g. another server fetched one)
    await wechat.say("第三问")
    assert await wechat.delivered(3) == ["收到：第一问", "收到：第二问", "收到：第三问"]
    assert wechat.fake.token_calls == 2
    assert len(wechat.fake.send_attempts) == 4  # one refused with 42001, retried once with the new token


async def test_the_token_is_renewed_before_it_expires(fake_platform):
    fake, api_base = fake_platform
    store = MemoryStore()
    api = WeChatAPI(settings_for(api_base), store)
    try:
        first = await api.access_token()
        assert await api.access_token() == first and fake.token_calls == 1
        entry = json.loads(await store.get(f"token:{APP_ID}"))
        entry["expires_at"] = time.time() + 120  # two minutes left: inside the renewal margin
        await store.set(f"token:{APP_ID}", json.dumps(entry), 120)
        assert await api.access_token() != first and fake.token_calls == 2
    finally:
        await api.close()


async def test_a_wrong_secret_is_reported_not_retried(fake_platform, caplog):
    fake, api_base = fake_platform
    settings = settings_for(api_base)
    api = WeChatAPI(type(settings)(**{**settings.__dict__, "app_secret": "wrong"}), MemoryStore())
    try:
        with pytest.raises(Exception, match="40125"):
            await api.access_token()
        assert fake.token_calls == 1 and "wrong" not in caplog.text
    finally:
        await api.close()


async def test_refused_sends_are_logged_not_retried(wechat, caplog):
    wechat.bot.delay = PASSIVE + 0.2
    wechat.fake.refusals.append(45015)  # outside the 48-hour window
    await wechat.say("失业金怎么领")
    assert await wechat.delivered(0) == []
    assert len(wechat.fake.send_attempts) == 1 and "48-hour" in caplog.text


async def test_busy_platform_is_retried_with_backoff(wechat):
    wechat.bot.delay = PASSIVE + 0.2
    wechat.fake.refusals += [-1, -1]  # 系统繁忙 twice
    await wechat.say("失业金怎么领")
    assert await wechat.delivered(1) == ["收到：失业金怎么领"]
    assert len(wechat.fake.send_attempts) == 3


def long_answer(characters: int = 5000) -> str:
    sentence = "符合条件的失业人员可通过网上办事大厅申领失业保险金，由经办机构审核后发放。"
    text = ""
    while len(text) < characters:
        text += sentence + ("\n" if len(text) % 7 == 0 else "")
    return text[:characters - 1] + "。"


def unnumbered(part: str) -> str:
    return part.split("\n", 1)[1] if part.startswith("（") else part


async def test_a_5000_character_answer_is_split_at_sentences_within_the_quota(wechat):
    answer = long_answer()
    wechat.bot.replies["说详细点"] = [{"text": answer}]
    assert await wechat.say("说详细点") is None  # several parts: all by the API, in order
    parts = await wechat.delivered(5)
    assert len(parts) == 5  # the platform allows 5 messages after one user message
    assert all(len(p.encode("utf-8")) <= TEXT_LIMIT_BYTES for p in parts)
    assert parts[-1].endswith("回复“继续”查看后面的内容）")
    assert await wechat.say("继续") is None or True
    parts = await wechat.delivered(len(split(answer)))
    expected = split(answer)
    assert parts[:4] == expected[:4] and parts[5:] == expected[5:]
    assert all(unnumbered(p).rstrip().endswith(("。", "）")) for p in parts)
    assert "".join(unnumbered(p).replace("\n", "") for p in expected) == answer.replace("\n", "")
    assert [p.split("\n", 1)[0] for p in expected] == [f"（{i}/{len(expected)}）" for i in range(1, len(expected) + 1)]
    assert wechat.bot.texts() == ["说详细点"]  # “继续” came from the channel, not the bot


async def test_buttons_become_numbered_options_and_a_number_presses_one(wechat):
    wechat.bot.replies["我符合条件吗"] = [
        {"text": "贵单位是否参加了失业保险？", "buttons": [{"title": "是", "payload": "是"}, {"title": "否", "payload": "否"},
                                                  {"title": "不清楚", "payload": "不清楚"}]},
        {"custom": {"asking": {"fact": "insured", "type": "bool", "for": "job_retention_refund"}}}]
    reply = await wechat.say("我符合条件吗")
    assert reply.split("\n")[1:4] == ["1. 是", "2. 否", "3. 不清楚"]
    assert await wechat.say("2") == "收到：否"
    assert await wechat.say("2") == "收到：2"  # the last reply had no options: a number is a number
    wechat.bot.replies["缓缴怎么办"] = [{"text": "请问是哪一项？\n1. 养老保险费缓缴、2. 工伤保险费缓缴",
                                    "buttons": [{"title": "养老保险费缓缴", "payload": '/choose_measure{"measure": "a"}'},
                                                {"title": "工伤保险费缓缴", "payload": '/choose_measure{"measure": "b"}'}]}]
    assert await wechat.say("缓缴怎么办") == "请问是哪一项？\n1. 养老保险费缓缴、2. 工伤保险费缓缴"  # already numbered
    await wechat.say("2")
    assert wechat.bot.texts()[-1] == '/choose_measure{"measure": "b"}'


async def test_measure_answers_keep_citation_status_and_links(wechat):
    wechat.bot.replies["失业金怎么领"] = [
        {"text": "【失业保险金·办理流程】\n可通过网上办事大厅（http://rst.nmg.gov.cn/）申领。\n"
                 "依据：附件清单第12项「经办流程」（包人社办发〔2022〕78号）\n截至2026年11月26日，该政策持续实施。\n"
                 "办理入口：个人办事专栏 http://rst.nmg.gov.cn/"},
        {"custom": {"measure": "unemployment_benefit", "aspect": "process", "in_force": True,
                    "sources": [{"id": "att:12:process", "label": "附件清单第12项「经办流程」"}]}}]
    reply = await wechat.say("失业金怎么领")
    assert "依据：附件清单第12项「经办流程」（包人社办发〔2022〕78号）；截至2026年11月26日，该政策持续实施。" in reply
    assert '（<a href="http://rst.nmg.gov.cn/">http://rst.nmg.gov.cn/</a>）申领' in reply
    assert reply.endswith('办理入口：<a href="http://rst.nmg.gov.cn/">个人办事专栏</a>')


async def test_the_output_channel_sends_at_any_time(wechat):
    output = wechat.channel.get_output_channel()
    await output.send_response(wechat.user.openid, {"text": "工作人员：您好，请问还有什么问题？"})
    assert await wechat.delivered(1) == ["工作人员：您好，请问还有什么问题？"]


async def test_a_bot_that_stays_silent_gets_success(wechat):
    wechat.bot.replies["（已转人工）"] = []  # e.g. a paused conversation while a human answers
    assert await wechat.say("（已转人工）") is None
    await wechat.channel.drain()
    assert wechat.fake.sent == []


async def test_two_replicas_sharing_redis_answer_a_msgid_once(fake_platform):
    fake, api_base = fake_platform
    shared = redis_or_skip()
    bots = [ScriptedBot(), ScriptedBot()]
    replicas = []
    for bot in bots:
        bot.delay = 0.2
        store = RedisStore(REDIS_URL, prefix=shared._prefix)  # each replica its own connection, same keys
        channel = WeChatInput(settings_for(api_base), passive_reply_seconds=PASSIVE, store=store)
        replicas.append((channel, *(await start_channel(channel, bot))))
    user = WeChatUser(TOKEN, APP_ID, AES_KEY)
    try:
        async with aiohttp.ClientSession() as http:
            harness = Harness(replicas[0][2], user, replicas[0][0], bots[0], fake, http)
            xml = user.xml("text", Content="失业金怎么领")
            results = await asyncio.gather(*(harness.push(xml, url=replicas[i % 2][2]) for i in range(6)))
            assert {reply["Content"] for _, reply in results} == {"收到：失业金怎么领"}
            assert sum(len(bot.runs) for bot in bots) == 1
            # slow answers from both replicas share one access_token
            for bot in bots:
                bot.delay = PASSIVE + 0.2
            await asyncio.gather(harness.push(user.xml("text", Content="一")),
                                 harness.push(user.xml("text", Content="二"), url=replicas[1][2]))
            for _ in range(100):
                if len(fake.sent) == 2:
                    break
                await asyncio.sleep(0.05)
            assert sorted(fake.sent_to(user.openid)) == ["收到：一", "收到：二"] and fake.token_calls == 1
    finally:
        for channel, server, _ in replicas:
            await channel.drain()
            await channel.api.close()
            await channel.store.close()
            server.close()
            await server.wait_closed()
        keys = [k async for k in shared._redis.scan_iter(shared._prefix + "*")]
        if keys:
            await shared._redis.delete(*keys)
        await shared.close()
