"""The WeChat channel's real Sanic blueprint on a local port, a fake WeChat API (aiohttp) recording token
and customer-service calls, and a scripted bot in place of Rasa's agent (the e2e suite uses the real one)."""
from __future__ import annotations

import asyncio
import os
import socket
import uuid
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from channels.wechat import WeChatInput
from channels.wechat.fake_platform import FakeWeChatAPI, WeChatUser
from channels.wechat.settings import Settings
from channels.wechat.store import MemoryStore, RedisStore

TOKEN, APP_ID, APP_SECRET = "test-token", "wx1234567890abcdef", "test-secret"
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"  # 43 characters, as the 公众号 settings page makes
REDIS_URL = os.environ.get("WECHAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
PASSIVE = 0.6  # the reply budget in these tests (4 s in production), so the slow path is quick to test


class ScriptedBot:
    """Stands in for Rasa's agent: answers each text with what `replies` says, after `delay` seconds,
    and records every run."""

    def __init__(self) -> None:
        self.runs: List[UserMessage] = []
        self.delay = 0.0
        self.replies: Dict[str, List[Dict[str, Any]]] = {}

    async def __call__(self, message: UserMessage) -> None:
        self.runs.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        for reply in self.replies.get(message.text, [{"text": f"收到：{message.text}", "custom": {"unclear": True}}]):
            await message.output_channel.send_response(message.sender_id, dict(reply))

    def texts(self) -> List[str]:
        return [m.text for m in self.runs]


def free_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


class Harness:
    def __init__(self, url: str, user: WeChatUser, channel: WeChatInput, bot: ScriptedBot, fake: FakeWeChatAPI,
                 http: aiohttp.ClientSession) -> None:
        self.url, self.user, self.channel, self.bot, self.fake, self.http = url, user, channel, bot, fake, http

    async def post(self, query: Dict[str, str], body: bytes, url: Optional[str] = None) -> Tuple[int, str]:
        async with self.http.post(url or self.url, params=query, data=body) as response:
            return response.status, await response.text()

    async def push(self, xml: str, encrypted: bool = False, url: Optional[str] = None) -> Tuple[int, Optional[Dict]]:
        """Post a signed (and in 安全模式 encrypted) push; the status and the reply's fields."""
        status, text = await self.post(*self.user.push(xml, encrypted=encrypted), url=url)
        return status, (self.user.read_reply(text, encrypted) if status == 200 else None)

    async def say(self, content: str, encrypted: bool = False) -> Optional[str]:
        """A text message; the passive reply's content, or None for `success`."""
        status, reply = await self.push(self.user.xml("text", Content=content), encrypted)
        assert status == 200
        return reply["Content"] if reply else None

    async def delivered(self, count: int, timeout: float = 10.0) -> List[str]:
        """The customer-service messages to this user, once `count` have arrived."""
        for _ in range(int(timeout / 0.05)):
            if len(self.fake.sent_to(self.user.openid)) >= count:
                break
            await asyncio.sleep(0.05)
        await self.channel.drain()
        return self.fake.sent_to(self.user.openid)


async def start_fake(fake: FakeWeChatAPI) -> Tuple[web.AppRunner, str]:
    runner = web.AppRunner(fake.app(), access_log=None)
    await runner.setup()
    sock = free_socket()
    site = web.SockSite(runner, sock)
    await site.start()
    return runner, f"http://127.0.0.1:{sock.getsockname()[1]}"


async def start_channel(channel: WeChatInput, bot: ScriptedBot):
    Sanic.test_mode = True  # several apps in one process (Sanic otherwise rewrites its methods per app)
    app = Sanic(f"wechat_test_{uuid.uuid4().hex[:8]}")
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/wechat")
    sock = free_socket()
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    return server, f"http://127.0.0.1:{sock.getsockname()[1]}/webhooks/wechat/webhook"


def redis_or_skip() -> RedisStore:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip(f"Redis not reachable at {REDIS_URL}")
    return RedisStore(REDIS_URL, prefix=f"wechat-test-{uuid.uuid4().hex[:8]}:")


@pytest_asyncio.fixture
async def fake_platform():
    fake = FakeWeChatAPI(APP_ID, APP_SECRET)
    runner, url = await start_fake(fake)
    yield fake, url
    await runner.cleanup()


def settings_for(api_base: str, aes_key: Optional[str] = AES_KEY) -> Settings:
    return Settings(token=TOKEN, app_id=APP_ID, app_secret=APP_SECRET, aes_key=aes_key, api_base=api_base)


@pytest_asyncio.fixture
async def wechat(fake_platform):
    fake, api_base = fake_platform
    bot = ScriptedBot()
    channel = WeChatInput(settings_for(api_base), passive_reply_seconds=PASSIVE, store=MemoryStore())
    server, url = await start_channel(channel, bot)
    async with aiohttp.ClientSession() as http:
        yield Harness(url, WeChatUser(TOKEN, APP_ID, AES_KEY), channel, bot, fake, http)
    await channel.drain()
    await channel.api.close()
    server.close()
    await server.wait_closed()
