"""What each kind of WeChat push means for the assistant: a text for the bot, a fixed reply, or nothing."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional

from .menu import click_text

TEXT_ONLY = "抱歉，我目前只能看懂文字，请输入文字问题，例如“失业金怎么领”。"
VOICE_UNRECOGNISED = "抱歉，这条语音没有识别出文字，请发送文字问题。"
UNKNOWN_MENU = "抱歉，这个菜单暂时不可用，请输入文字问题，例如“失业金怎么领”。"
GREETING = "/greet"     # a subscription is welcomed by the bot's own greeting (what it can do)
END = "/restart"        # an unsubscription ends the conversation: the tracker is reset


@dataclass(frozen=True)
class Inbound:
    openid: str
    dedup_key: str                  # MsgId for messages; user + time + event for events (WeChat's advice)
    kind: str                       # "message" or "event": decides the customer-service quota
    text: Optional[str] = None      # for the bot
    reply: Optional[str] = None     # answered by the channel itself, without the bot
    silent: bool = False            # the bot may run, but WeChat shows nothing (unsubscribe)


def interpret(message: Dict[str, str], menu: Dict[str, Any]) -> Inbound:
    openid, msg_type = message.get("FromUserName", ""), message.get("MsgType", "").lower()
    if msg_type == "event":
        event = message.get("Event", "").lower()
        key = f"event:{openid}:{message.get('CreateTime', '')}:{event}:{message.get('EventKey', '')}"
        if event == "subscribe":
            return Inbound(openid, key, "event", text=GREETING)
        if event == "unsubscribe":
            return Inbound(openid, key, "event", text=END, silent=True)
        if event == "click":
            question = click_text(menu, message.get("EventKey", ""))
            return Inbound(openid, key, "event", text=question or None, reply=None if question else UNKNOWN_MENU)
        return Inbound(openid, key, "event")  # VIEW (a menu link), SCAN, LOCATION reports …: nothing to say
    key = f"msg:{message.get('MsgId') or openid + ':' + message.get('CreateTime', '')}"
    if msg_type == "text":
        return Inbound(openid, key, "message", text=message.get("Content", ""))
    if msg_type == "voice":
        recognised = message.get("Recognition", "").strip()
        return Inbound(openid, key, "message", text=recognised or None, reply=None if recognised else VOICE_UNRECOGNISED)
    # image, video, shortvideo, location, link, file and anything new
    return Inbound(openid, key, "message", reply=TEXT_ONLY)
