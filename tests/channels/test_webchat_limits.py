"""The socket.io channel's limits (channels/webchat/socketio_channel.py): its real Sanic blueprint on a
local port, a python-socketio client, and a recording bot in place of Rasa's agent. Over-long and too
frequent messages get bot/limits.py's polite reply (the REST channel's text and payload) and never
reach the bot; oversized packets are refused by the transport."""
from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any, Dict, List

import pytest
import pytest_asyncio
import socketio
from rasa.core.channels.channel import UserMessage
from sanic import Sanic

from bot import limits
from channels.webchat.socketio_channel import MAX_PACKET_BYTES, WebchatSocketIOInput

pytestmark = pytest.mark.asyncio


class RecordingBot:
    def __init__(self) -> None:
        self.texts: List[str] = []

    async def __call__(self, message: UserMessage) -> None:
        self.texts.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


class Browser:
    """One widget: a socket.io client in its session's room, collecting what the bot sends."""

    def __init__(self, url: str) -> None:
        self.url, self.received = url, []
        self.session_id = f"limits-{uuid.uuid4().hex[:12]}"
        self.client = socketio.AsyncClient(reconnection=False)
        self.client.on("bot_uttered", self.received.append)
        self.confirmed = asyncio.Event()
        self.client.on("session_confirm", lambda _: self.confirmed.set())

    async def open(self) -> "Browser":
        await self.client.connect(self.url, socketio_path="/socket.io", transports=["polling"])
        await self.client.emit("session_request", {"session_id": self.session_id})
        await asyncio.wait_for(self.confirmed.wait(), 10)
        return self

    async def say(self, text: str, replies: int) -> List[Dict[str, Any]]:
        """Send a message; the bot's next `replies` messages."""
        before = len(self.received)
        await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        for _ in range(200):
            if len(self.received) >= before + replies:
                break
            await asyncio.sleep(0.025)
        return self.received[before:]


@pytest.fixture
def fresh_limits(monkeypatch):
    monkeypatch.setattr(limits, "_counter", limits.SenderCounter(""))
    monkeypatch.setenv("SENDER_RATE_LIMIT", "3/60")
    monkeypatch.delenv("MAX_MESSAGE_CHARS", raising=False)


@pytest_asyncio.fixture
async def channel(fresh_limits):
    Sanic.test_mode = True  # several apps in one process
    app = Sanic(f"webchat_limits_{uuid.uuid4().hex[:8]}")
    bot = RecordingBot()
    channel = WebchatSocketIOInput.from_credentials({"user_message_evt": "user_uttered",
                                                      "bot_message_evt": "bot_uttered",
                                                      "session_persistence": True, "metadata_key": "metadata"})
    app.blueprint(channel.blueprint(bot), url_prefix="/webhooks/socketio")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    browsers: List[Browser] = []

    async def browser() -> Browser:
        browsers.append(await Browser(f"http://127.0.0.1:{sock.getsockname()[1]}").open())
        return browsers[-1]

    yield browser, bot
    for each in browsers:
        await each.client.disconnect()
    await server.before_stop()
    server.close()
    await server.wait_closed()


async def test_an_over_long_message_gets_the_polite_refusal_and_skips_the_bot(channel):
    browser, bot = channel
    widget = await browser()
    replies = await widget.say("失业金" * 700, replies=2)
    assert replies == [{"text": limits.TOO_LONG.format(limit=2000)}, {"custom": {"too_long": True}}]
    assert bot.texts == []
    assert await widget.say("失业金怎么领", replies=1) == [{"text": "收到：失业金怎么领"}]


async def test_each_session_is_rate_limited_on_its_own(channel):
    browser, bot = channel
    hasty, calm = await browser(), await browser()
    for i in range(3):
        assert await hasty.say(f"问题{i}", replies=1) == [{"text": f"收到：问题{i}"}]
    assert await hasty.say("问题3", replies=2) == [{"text": limits.TOO_FAST}, {"custom": {"rate_limited": True}}]
    assert await calm.say("你好", replies=1) == [{"text": "收到：你好"}]
    assert bot.texts == ["问题0", "问题1", "问题2", "你好"]


async def test_an_oversized_packet_is_dropped_by_the_transport(channel):
    browser, bot = channel
    widget = await browser()
    await widget.say("长" * MAX_PACKET_BYTES, replies=1)  # three bytes a character: over the packet limit
    for _ in range(100):
        if not widget.client.connected:
            break
        await asyncio.sleep(0.05)
    assert bot.texts == [] and not widget.client.connected
