"""The WeChat official-account (公众号) channel: POST/GET /webhooks/wechat/webhook.

One push, in order: size (413), `signature` and timestamp (403), XML (400), 安全模式 msg_signature
(403), then the message. Each MsgId is answered once (the store remembers the reply for WeChat's
retries). The bot's answer goes back passively when it is ready within PASSIVE_REPLY_SECONDS of the
push; otherwise the push gets `success` at once and the answer follows by the customer-service API.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from wechatpy.crypto import WeChatCrypto

from bot import limits

from . import protocol
from .api import WeChatAPI
from .inbound import Inbound, interpret
from .menu import load_menu
from .render import Rendered, render
from .settings import (DEDUP_SECONDS, MAX_BODY_BYTES, OPTIONS_SECONDS, PASSIVE_REPLY_SECONDS, QUOTA_AFTER_EVENT,
                       QUOTA_AFTER_MESSAGE, REQUIRED, Settings, mask)
from .store import make_store

logger = logging.getLogger(__name__)

SORRY = "抱歉，系统暂时繁忙，请稍后再试；如需人工服务，请拨打12333。"
MORE_HINT = "（内容较长，回复“继续”查看后面的内容）"
MORE_WORDS = {"继续", "更多", "下一页"}
CONTINUE_SECONDS = 48 * 3600  # as long as WeChat lets us answer the user's message
PENDING = "pending"
OPTION = re.compile(r"^\s*(\d{1,2})\s*[.。、]?\s*$")


class WeChatOutput(OutputChannel):
    """Sends to a user at any time through the customer-service API — for Rasa's HTTP API
    (`output_channel=wechat`) and for a human agent's messages."""

    def __init__(self, channel: "WeChatInput") -> None:
        self.channel = channel

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        messages = [{k: v for k, v in message.items() if k != "custom"}]
        if message.get("custom"):
            messages.append({"custom": message["custom"]})
        rendered = render(messages)
        await self.channel.remember_options(recipient_id, rendered)
        await self.channel.deliver(recipient_id, rendered.parts, QUOTA_AFTER_MESSAGE)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class WeChatInput(InputChannel):
    @classmethod
    def name(cls) -> Text:
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WeChatInput":
        """Secrets from the environment (README, "WeChat"); credentials.yml may tune the reply budget."""
        options = credentials or {}
        settings, missing = Settings.from_env()
        if settings is None:
            logger.warning("WeChat channel not configured (missing %s): it answers 503", ", ".join(missing))
        return cls(settings, passive_reply_seconds=float(options.get("passive_reply_seconds", PASSIVE_REPLY_SECONDS)))

    def __init__(self, settings: Optional[Settings], passive_reply_seconds: float = PASSIVE_REPLY_SECONDS,
                 store: Any = None, menu: Optional[Dict[str, Any]] = None) -> None:
        self.settings = settings
        self.passive_reply_seconds = passive_reply_seconds
        self.menu = menu or load_menu()
        self.problem = "" if settings else "微信渠道未配置：请设置环境变量 " + "、".join(REQUIRED) + "。"
        self.crypto: Optional[WeChatCrypto] = None
        if settings and settings.aes_key:
            try:
                self.crypto = WeChatCrypto(settings.token, settings.aes_key, settings.app_id)
            except Exception:  # wrong length or not base64: refuse pushes, keep the server up
                logger.error("WECHAT_ENCODING_AES_KEY is not a valid 43-character EncodingAESKey")
                self.problem = "微信渠道配置有误：WECHAT_ENCODING_AES_KEY 应为43位的消息加解密密钥。"
        self.store = store or (make_store(settings.redis_url) if settings else None)
        self.api = WeChatAPI(settings, self.store) if settings else None
        self._tasks: Set[asyncio.Task] = set()

    def get_output_channel(self) -> Optional[OutputChannel]:
        return WeChatOutput(self) if self.api else None

    # --- HTTP --------------------------------------------------------------------------------------
    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"wechat_webhook_{id(self)}", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if not self.problem else "not configured"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            """The URL check when the server is configured in the 公众号 (服务器配置)."""
            if self.problem:
                return response.text(self.problem, status=503)
            try:
                protocol.verify_query(self.settings.token, _query(request))
            except protocol.Rejected as rejected:
                logger.warning("WeChat verification rejected: %s", rejected.reason)
                return response.text("forbidden", status=403)
            return response.text(request.args.get("echostr", ""))

        @webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self.handle_push(request, on_new_message)

        @webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            if self.api:
                await self.api.close()
            if self.store:
                await self.store.close()

        return webhook

    async def handle_push(self, request: Request, on_new_message: Callable[[UserMessage], Awaitable[Any]]
                          ) -> HTTPResponse:
        arrived = time.monotonic()
        if self.problem:
            return response.text(self.problem, status=503)
        body = await _read_body(request)
        if body is None:
            return response.text("payload too large", status=413)
        query = _query(request)
        encrypted = query.get("encrypt_type", "raw").lower() == "aes"
        try:
            protocol.verify_query(self.settings.token, query)
            message = protocol.parse_xml(body)
            if encrypted:
                if self.crypto is None:
                    return response.text("安全模式需要设置 WECHAT_ENCODING_AES_KEY。", status=503)
                message = protocol.decrypt(self.crypto, query, message)
        except protocol.Rejected as rejected:
            logger.warning("WeChat push rejected (%d): %s", rejected.status, rejected.reason)
            return response.text(rejected.reason, status=rejected.status)
        inbound = interpret(message, self.menu)
        if not inbound.openid:
            return response.text("no FromUserName", status=400)
        content = await self.answer(inbound, on_new_message, deadline=arrived + self.passive_reply_seconds)
        if content is None:
            return response.text("success")
        xml = protocol.text_reply(message, content)
        if encrypted:
            xml = protocol.encrypt_reply(self.crypto, xml, query.get("nonce", ""))
        return response.text(xml, content_type="application/xml")

    # --- answering once ----------------------------------------------------------------------------
    async def answer(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     deadline: float) -> Optional[str]:
        """The passive reply for this push, or None for `success`. A retry of a push already being
        answered waits for the first one's outcome and repeats it; the bot runs once per MsgId."""
        key = f"seen:{inbound.dedup_key}"
        try:
            first = await self.store.set(key, PENDING, DEDUP_SECONDS, only_if_absent=True)
        except Exception as exc:  # the store is down: answering twice beats not answering
            logger.error("WeChat de-duplication store unavailable (%s); answering without it", type(exc).__name__)
            first = True
        if not first:
            return await self._earlier_outcome(key, deadline)
        content: Optional[str] = None
        try:
            content = await self._first_answer(inbound, on_new_message, deadline)
        except Exception as exc:  # e.g. the store went away mid-way: apologise rather than fail the push
            logger.error("WeChat push from %s not answered: %s", mask(inbound.openid), type(exc).__name__)
            content = SORRY
        finally:
            try:
                await self.store.set(key, "reply:" + content if content is not None else "done", DEDUP_SECONDS)
            except Exception as exc:
                logger.error("WeChat de-duplication store unavailable (%s)", type(exc).__name__)
        return content

    async def _earlier_outcome(self, key: str, deadline: float) -> Optional[str]:
        while True:
            outcome = await self.store.get(key)
            if outcome and outcome != PENDING:
                return outcome[len("reply:"):] if outcome.startswith("reply:") else None
            if time.monotonic() >= deadline:
                return None  # still being answered: the first push's path delivers it
            await asyncio.sleep(0.05)

    async def _first_answer(self, inbound: Inbound, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                            deadline: float) -> Optional[str]:
        if inbound.reply is not None:
            return inbound.reply
        if inbound.text is None:
            return None
        # The limits every channel shares (bot/limits.py: MAX_MESSAGE_CHARS, SENDER_RATE_LIMIT, counted in
        # Redis across replicas), with the same polite reply as the REST and socket.io channels.
        refused = limits.refusal(inbound.openid, inbound.text)
        if refused is not None:
            logger.info("WeChat message from %s refused: %s", mask(inbound.openid), ", ".join(refused[1]))
            return refused[0]
        text = inbound.text
        if text.strip() in MORE_WORDS:
            more = await self.store.get(f"more:{inbound.openid}")
            if more:
                await self.store.delete(f"more:{inbound.openid}")
                return self._reply_or_send(inbound, json.loads(more))
        text = await self._pressed_option(inbound.openid, text)
        run = self._spawn(self._run_bot(on_new_message, inbound, text))
        done, _ = await asyncio.wait({run}, timeout=max(0.0, deadline - time.monotonic()))
        if run in done:
            rendered = run.result()
            await self.remember_options(inbound.openid, rendered)
            return None if inbound.silent else self._reply_or_send(inbound, rendered.parts)
        logger.info("WeChat answer for %s not ready in %.1f s: it follows by the customer-service API",
                    mask(inbound.openid), self.passive_reply_seconds)
        self._spawn(self._deliver_late(run, inbound))
        return None

    def _reply_or_send(self, inbound: Inbound, parts: List[str]) -> Optional[str]:
        """One part goes back passively; several go by the customer-service API in order (a passive
        reply holds one message, and mixing the two paths could reorder the parts)."""
        if len(parts) == 1:
            return parts[0]
        if parts:
            self._spawn(self.deliver(inbound.openid, parts, _quota(inbound)))
        return None

    async def _deliver_late(self, run: "asyncio.Task[Rendered]", inbound: Inbound) -> None:
        rendered = await run
        await self.remember_options(inbound.openid, rendered)
        if not inbound.silent:
            await self.deliver(inbound.openid, rendered.parts, _quota(inbound))

    async def _run_bot(self, on_new_message: Callable[[UserMessage], Awaitable[Any]], inbound: Inbound,
                       text: str) -> Rendered:
        collector = CollectingOutputChannel()
        try:
            await on_new_message(UserMessage(text, collector, inbound.openid, input_channel=self.name(),
                                             message_id=inbound.dedup_key))
        except Exception as exc:
            logger.error("The bot failed on a WeChat message from %s: %s", mask(inbound.openid), type(exc).__name__)
            return Rendered(parts=[SORRY])
        return render(collector.messages)

    def _spawn(self, coroutine: Awaitable[Any]) -> asyncio.Task:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)
        return task

    # --- user state --------------------------------------------------------------------------------
    async def _pressed_option(self, openid: str, text: str) -> str:
        """A reply of "1", "2" … presses that button of the last numbered options."""
        number = OPTION.match(text)
        if not number:
            return text
        saved = await self.store.get(f"options:{openid}")
        options = json.loads(saved) if saved else []
        index = int(number.group(1))
        return options[index - 1] if 1 <= index <= len(options) else text

    async def remember_options(self, openid: str, rendered: Rendered) -> None:
        if rendered.options:
            await self.store.set(f"options:{openid}", json.dumps(rendered.options, ensure_ascii=False), OPTIONS_SECONDS)
        elif rendered.parts:  # a reply without buttons: numbers mean numbers again
            await self.store.delete(f"options:{openid}")

    async def deliver(self, openid: str, parts: List[str], quota: int) -> int:
        """Send the parts by the customer-service API, in order, within the platform's quota; what does
        not fit waits for the user's “继续”. Returns how many were sent."""
        if not parts or self.api is None:
            return 0
        sending, rest = parts[:quota], parts[quota:]
        if rest:
            sending[-1] += "\n" + MORE_HINT
            await self.store.set(f"more:{openid}", json.dumps(rest, ensure_ascii=False), CONTINUE_SECONDS)
        sent = 0
        for part in sending:
            try:
                ok = await self.api.send_text(openid, part)
            except Exception as exc:  # network gone after the retries: logged without URL or token
                logger.error("WeChat customer-service message to %s failed: %s", mask(openid), exc)
                ok = False
            if not ok:
                break  # a refusal (window, quota) would refuse the rest too
            sent += 1
        return sent

    async def drain(self) -> None:
        """Wait for answers still being delivered (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _quota(inbound: Inbound) -> int:
    return QUOTA_AFTER_MESSAGE if inbound.kind == "message" else QUOTA_AFTER_EVENT


async def _read_body(request: Request) -> Optional[bytes]:
    """The body, read as a stream so an oversized one is refused without being buffered (None)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return None
    body = b""
    while True:
        chunk = await request.stream.read()
        if chunk is None:
            return body
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            return None


def _query(request: Request) -> Dict[str, str]:
    return {key: request.args.get(key, "") for key in request.args}
