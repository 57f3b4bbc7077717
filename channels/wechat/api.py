"""The WeChat API calls the channel makes, with aiohttp: the access_token (cached, shared between
replicas through the store, refreshed before it expires) and the customer-service text message.

`WeChatAPI.send_text(openid, text)` is the one way to send a user a message outside a passive reply —
the slow-answer path uses it, and so can a human agent later. Logs never contain the token, the
secret or a full openid."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any, Dict, Optional

import aiohttp

from .settings import Settings, mask

logger = logging.getLogger(__name__)

TOKEN_INVALID = {40001, 40014, 41001, 42001}      # invalid, malformed, missing or expired access_token
RETRYABLE = {-1, 45011}                            # system busy; API called too often
REFUSED = {                                        # the platform said no: log it, never retry
    40003: "invalid openid", 43004: "the user has unsubscribed", 45002: "content too long",
    45015: "outside the 48-hour reply window (or the user unsubscribed)",
    45047: "customer-service quota for this user exhausted", 45009: "daily API quota exhausted",
    48001: "API not authorised for this account (customer-service messages need a verified account)",
}
BACKOFF_SECONDS = (0.5, 1.0, 2.0)                  # then give up
REFRESH_MARGIN_SECONDS = 300                       # renew the token five minutes before it expires


class WeChatAPIError(Exception):
    def __init__(self, errcode: int, errmsg: str = "") -> None:
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode


class WeChatAPI:
    def __init__(self, settings: Settings, store: Any, timeout: float = 5.0) -> None:
        self.settings, self.store = settings, store
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: Optional[aiohttp.ClientSession] = None
        self._refreshing = asyncio.Lock()
        self._token_key = f"token:{settings.app_id}"

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    # --- access_token ---------------------------------------------------------------------------
    async def _cached_token(self) -> Optional[str]:
        raw = await self.store.get(self._token_key)
        if not raw:
            return None
        entry = json.loads(raw)
        return entry["token"] if entry["expires_at"] - time.time() > REFRESH_MARGIN_SECONDS else None

    async def access_token(self, stale: Optional[str] = None) -> str:
        """The cached token, or a new one. `stale` is a token the API just refused: another replica may
        already have replaced it; otherwise a fresh one is fetched."""
        token = await self._cached_token()
        if token and token != stale:
            return token
        async with self._refreshing:  # one fetch per process; the store's lock makes it one per cluster
            token = await self._cached_token()
            if token and token != stale:
                return token
            lock = f"{self._token_key}:lock"
            locked = await self.store.set(lock, "1", 10, only_if_absent=True)
            if not locked:
                for _ in range(40):  # another replica is fetching: wait for its token (≤ 2 s)
                    await asyncio.sleep(0.05)
                    token = await self._cached_token()
                    if token and token != stale:
                        return token
            try:
                return await self._fetch_token()
            finally:
                if locked:
                    await self.store.delete(lock)

    async def _fetch_token(self) -> str:
        params = {"grant_type": "client_credential", "appid": self.settings.app_id,
                  "secret": self.settings.app_secret}
        data = await self._call("GET", "/cgi-bin/token", params=params)
        token, lifetime = data["access_token"], int(data.get("expires_in", 7200))
        await self.store.set(self._token_key, json.dumps({"token": token, "expires_at": time.time() + lifetime}),
                             ttl=lifetime)
        logger.info("WeChat access_token refreshed (valid %d s)", lifetime)
        return token

    # --- calls ----------------------------------------------------------------------------------
    async def _call(self, method: str, path: str, params: Dict[str, str], body: Optional[Dict] = None) -> Dict:
        """One API call with retries for network trouble and busy errors; raises WeChatAPIError."""
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8"} if data else None
        for attempt, delay in enumerate((*BACKOFF_SECONDS, None)):
            try:
                async with self._http().request(method, self.settings.api_base + path, params=params,
                                                data=data, headers=headers) as response:
                    if response.status >= 500:
                        raise WeChatAPIError(-1, f"HTTP {response.status}")
                    result = await response.json(content_type=None)
                errcode = int(result.get("errcode", 0) or 0)
                if errcode == 0:
                    return result
                error = WeChatAPIError(errcode, str(result.get("errmsg", "")))
                if errcode not in RETRYABLE:
                    raise error
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
                # The exception text may hold the URL and with it the secret or token: log its type only.
                error = WeChatAPIError(-1, type(exc).__name__)
            except WeChatAPIError as exc:
                if exc.errcode not in RETRYABLE:
                    raise
                error = exc
            if delay is None:
                raise error
            logger.warning("WeChat API %s failed (%s), retry %d in %.1f s", path, error, attempt + 1, delay)
            await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def send_text(self, openid: str, text: str) -> bool:
        """Send one text message (≤ 2047 bytes) by the customer-service API. True when WeChat accepted it;
        a refusal (window, quota, unsubscribed) is logged and returns False."""
        body = {"touser": openid, "msgtype": "text", "text": {"content": text}}
        token = await self.access_token()
        for retried in (False, True):
            try:
                await self._call("POST", "/cgi-bin/message/custom/send", params={"access_token": token}, body=body)
                return True
            except WeChatAPIError as exc:
                if exc.errcode in TOKEN_INVALID and not retried:
                    logger.info("WeChat refused the access_token (errcode %d); refreshing once", exc.errcode)
                    token = await self.access_token(stale=token)
                    continue
                reason = REFUSED.get(exc.errcode, "error")
                logger.warning("WeChat customer-service message to %s not sent: %s (%s)", mask(openid), reason, exc)
                return False
        return False
