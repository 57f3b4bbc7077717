"""The WeChat channel's settings: secrets from the environment, and the platform's numbers.

WeChat's rules (公众平台 developer documentation, checked 2026-12):
- the server must answer a push within 5 seconds, otherwise WeChat drops the connection and retries,
  3 times in all; an answer of `success` (or an empty body) ends the retries without showing anything;
- a text message holds at most 2047 bytes of UTF-8 (longer passive replies are cut or refused);
- the customer-service message API (客服消息) may send to a user only after the user interacted:
  5 messages within 48 hours of a message the user sent; 3 within 1 minute of a menu click, a
  subscription or a QR scan (the 2023 rules); beyond that it answers 45047 (quota) or 45015 (window);
- an access_token lives `expires_in` seconds (7200); fetching a new one invalidates the old one after a
  few minutes, so replicas share one token.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping, Optional, Tuple

DEFAULT_API_BASE = "https://api.weixin.qq.com"
REQUIRED = ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET")

# Reply passively only when the bot has answered this many seconds after the push arrived: WeChat waits
# 5 s, and the reply still has to be encrypted and travel back.
PASSIVE_REPLY_SECONDS = 4.0
TEXT_LIMIT_BYTES = 2000             # below WeChat's 2047, so a part never gets cut
QUOTA_AFTER_MESSAGE = 5             # customer-service messages allowed after one user message
QUOTA_AFTER_EVENT = 3               # … after a menu click or a subscription
MAX_BODY_BYTES = 16 * 1024          # a pushed message is a few hundred bytes, encrypted under 4 KiB
TIMESTAMP_TOLERANCE_SECONDS = 300   # pushes older or newer than this are replays
DEDUP_SECONDS = 600                 # WeChat's retries come within about 15 s; keep each MsgId longer
OPTIONS_SECONDS = 3600              # numbered options answer "1", "2" … for an hour (the session length)


@dataclass(frozen=True)
class Settings:
    token: str
    app_id: str
    app_secret: str
    aes_key: Optional[str] = None        # 43 characters; needed for 安全模式 (encrypt_type=aes)
    api_base: str = DEFAULT_API_BASE
    redis_url: Optional[str] = None      # shared de-duplication and token cache across replicas

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Tuple[Optional["Settings"], Tuple[str, ...]]:
        """The settings, or None and the names of the missing variables."""
        missing = tuple(name for name in REQUIRED if not env.get(name, "").strip())
        if missing:
            return None, missing
        return cls(token=env["WECHAT_TOKEN"].strip(), app_id=env["WECHAT_APP_ID"].strip(),
                   app_secret=env["WECHAT_APP_SECRET"].strip(),
                   aes_key=env.get("WECHAT_ENCODING_AES_KEY", "").strip() or None,
                   api_base=(env.get("WECHAT_API_BASE", "").strip() or DEFAULT_API_BASE).rstrip("/"),
                   redis_url=env.get("REDIS_URL", "").strip() or None), ()


def mask(openid: str) -> str:
    """An openid as it may appear in logs: enough to tell users apart, not enough to address one."""
    return f"{openid[:4]}…{openid[-2:]}" if len(openid) > 8 else "…"
