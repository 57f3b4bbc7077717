"""Per-sender rate limit and message-size limit, with a polite reply instead of an answer.

    MAX_MESSAGE_CHARS    longest message answered (2000 characters)
    SENDER_RATE_LIMIT    messages per sender per window, "30/60" = 30 per 60 seconds; "0" switches it off

With REDIS_URL set, the count is kept in Redis so that every replica counts the same messages;
otherwise in this process. The Rasa server (bot/server.py) applies `refusal()` to the REST webhook
before Rasa sees the message; another channel calls `refusal(sender, text)` itself and, when it returns
a reply, sends that instead of passing the message on. nginx limits the request size in front of all
channels (deploy/nginx/policybot.conf).
"""
from __future__ import annotations

import logging
import os
import time
from typing import Any, Dict, List, Optional, Tuple

from bot import settings

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHARS = 2000
DEFAULT_RATE = "30/60"
TOO_LONG = "抱歉，您的消息太长了（最多{limit}字），请精简后再发送。"
TOO_FAST = "您发送消息太频繁了，请稍等片刻再继续提问。"
REST_WEBHOOK = "/webhooks/rest/webhook"


def max_chars() -> int:
    return int(os.environ.get("MAX_MESSAGE_CHARS") or DEFAULT_MAX_CHARS)


def rate() -> Tuple[int, int]:
    """(messages, seconds); (0, 0) when switched off."""
    value = (os.environ.get("SENDER_RATE_LIMIT") or DEFAULT_RATE).strip()
    if value == "0":
        return 0, 0
    count, _, seconds = value.partition("/")
    return int(count), int(seconds or 60)


class SenderCounter:
    """Fixed-window message counts per sender, in Redis when configured, else in memory."""

    def __init__(self, redis_url: str = "") -> None:
        self.redis = None
        if redis_url:
            import redis

            self.redis = redis.StrictRedis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        self.counts: Dict[Tuple[str, int], int] = {}

    def add(self, sender: str, seconds: int) -> int:
        """Count one message; returns the sender's messages in the current window."""
        window = int(time.time()) // seconds
        if self.redis is not None:
            key = f"policybot:rate:{sender}:{window}"
            try:
                count, _ = self.redis.pipeline().incr(key).expire(key, seconds * 2).execute()
                return int(count)
            except Exception as error:  # Redis trouble must not silence the assistant: count locally
                logger.warning(f"rate limit: Redis unavailable ({error}); counting in this process")
        if len(self.counts) > 100_000:  # drop finished windows
            self.counts = {key: value for key, value in self.counts.items() if key[1] == window}
        self.counts[(sender, window)] = self.counts.get((sender, window), 0) + 1
        return self.counts[(sender, window)]


_counter: Optional[SenderCounter] = None


def counter() -> SenderCounter:
    global _counter
    if _counter is None:
        _counter = SenderCounter(settings.redis_url())
    return _counter


def refusal(sender: str, text: Any) -> Optional[Tuple[str, Dict[str, Any]]]:
    """(reply, payload) when this message is not to be answered, else None. Counts the message."""
    limit = max_chars()
    if isinstance(text, str) and len(text) > limit:
        return TOO_LONG.format(limit=limit), {"too_long": True}
    messages, seconds = rate()
    if messages and counter().add(sender, seconds) > messages:
        return TOO_FAST, {"rate_limited": True}
    return None


def rest_reply(sender: str, reply: str, payload: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The refusal in the REST channel's reply format (a text, then the payload)."""
    return [{"recipient_id": sender, "text": reply}, {"recipient_id": sender, "custom": payload}]


async def limit_rest_webhook(request: Any) -> Any:
    """Sanic request middleware: refuses over-long or too frequent REST messages politely."""
    if request.method != "POST" or request.path != REST_WEBHOOK:
        return None
    try:
        body = request.json
    except Exception:  # not JSON: Rasa's channel answers that
        return None
    if not isinstance(body, dict):
        return None
    sender = str(body.get("sender") or "default")
    refused = refusal(sender, body.get("message"))
    if refused is None:
        return None
    from sanic import response

    return response.json(rest_reply(sender, *refused))


async def install(app: Any, _loop: Any = None) -> None:
    """Server listener (before_server_start): adds the REST limits to the Rasa app."""
    app.register_middleware(limit_rest_webhook, "request")


__all__ = ["TOO_FAST", "TOO_LONG", "install", "refusal", "rest_reply"]
