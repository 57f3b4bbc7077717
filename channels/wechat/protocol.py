"""WeChat's push protocol: signatures, replay window, safe XML parsing, 安全模式 encryption and the
passive-reply XML. Signatures and AES come from wechatpy; XML is read with defusedxml (no DTD, no
entities), never with wechatpy's own parser."""
from __future__ import annotations

import time
from typing import Dict, Mapping, Optional

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TextReply
from wechatpy.utils import check_signature

from .settings import TIMESTAMP_TOLERANCE_SECONDS


class Rejected(Exception):
    """A push that must not be processed; `status` is the HTTP answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status, self.reason = status, reason


def verify_query(token: str, query: Mapping[str, str], now: Optional[float] = None) -> None:
    """The `signature` WeChat puts on every request (GET and POST) over token, timestamp and nonce."""
    signature, timestamp, nonce = (query.get(k, "") for k in ("signature", "timestamp", "nonce"))
    if not (signature and timestamp and nonce):
        raise Rejected(403, "missing signature")
    check_timestamp(timestamp, now)
    try:
        check_signature(token, signature, timestamp, nonce)
    except InvalidSignatureException:
        raise Rejected(403, "bad signature") from None


def check_timestamp(timestamp: str, now: Optional[float] = None) -> None:
    try:
        sent = int(timestamp)
    except ValueError:
        raise Rejected(403, "bad timestamp") from None
    if abs((now or time.time()) - sent) > TIMESTAMP_TOLERANCE_SECONDS:
        raise Rejected(403, "timestamp outside the replay window")


def parse_xml(body: bytes) -> Dict[str, str]:
    """The <xml> document's child elements as a flat dict (WeChat's messages are flat)."""
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (ParseError, DefusedXmlException, ValueError):
        raise Rejected(400, "malformed XML") from None
    if root.tag != "xml":
        raise Rejected(400, "not a WeChat message")
    return {child.tag: (child.text or "").strip() for child in root}


def decrypt(crypto: WeChatCrypto, query: Mapping[str, str], envelope: Dict[str, str]) -> Dict[str, str]:
    """The message inside a 安全模式 envelope, after checking msg_signature over its Encrypt field."""
    encrypted, msg_signature = envelope.get("Encrypt", ""), query.get("msg_signature", "")
    if not encrypted or not msg_signature:
        raise Rejected(403, "missing msg_signature or Encrypt")
    try:
        inner = crypto.decrypt_message({"Encrypt": encrypted}, msg_signature, query.get("timestamp", ""),
                                       query.get("nonce", ""))
    except (InvalidSignatureException, InvalidAppIdException):
        raise Rejected(403, "bad msg_signature") from None
    except Exception:  # a correctly signed but undecryptable body (bad base64 or padding)
        raise Rejected(400, "undecryptable message") from None
    return parse_xml(inner.encode("utf-8") if isinstance(inner, str) else inner)


def text_reply(message: Dict[str, str], content: str) -> str:
    """The passive reply XML: from the account (the message's ToUserName) to the user."""
    # CDATA cannot contain its own terminator; the assistant's text never should, but be safe.
    content = content.replace("]]>", "]] >")
    return TextReply(source=message.get("ToUserName", ""), target=message.get("FromUserName", ""),
                     content=content, time=int(time.time())).render()


def encrypt_reply(crypto: WeChatCrypto, xml: str, nonce: str) -> str:
    return crypto.encrypt_message(xml, nonce, str(int(time.time())))
