"""The action server's endpoint as the Rasa server sees it: never silence when the action server is
down, too slow or failing.

Rasa calls every custom action through `EndpointConfig.request`. When that call cannot connect, times
out or gets a 5xx, Rasa logs the exception and the turn produces no reply at all. This endpoint answers
such a call itself with a well-formed action response holding one apology message (with the 12333
hotline), which Rasa validates and utters like any other. Nothing is remembered about the failure:
the next message calls the action server again, so service resumes by itself once it is back.

One turn can call several actions (a form calls its validation action, then asks its next question):
only the first failure of a turn apologises, later ones answer with nothing. When a form's validation
fails, the slot the form was asking for is cleared, so the form stays active and asks the same
question again: the person can repeat the answer once the service is back.

Slot events that change nothing are dropped from the responses (bot/slot_events.py).

A 400 is not a failure: it is how an action rejects itself (ActionExecutionRejection), and Rasa
handles it, so it passes through unchanged.
"""
from __future__ import annotations

import asyncio
import logging
import os
from collections import OrderedDict
from typing import Any, Dict, List, Optional, Text

import aiohttp
from rasa.core.constants import DEFAULT_REQUEST_TIMEOUT
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot.slot_events import trim_response

logger = logging.getLogger(__name__)

APOLOGY = "抱歉，系统暂时繁忙，没能处理您的消息，请稍后再试。急需咨询可拨打12333人社服务热线。"
UNAVAILABLE_PAYLOAD = {"unavailable": True}
# Rasa waits up to 5 minutes for an action; a person waits far less. Our actions answer in milliseconds.
DEFAULT_TIMEOUT_SECONDS = 10.0
REMEMBERED_TURNS = 10_000
# Rasa opens a new client session, and so a new TCP connection, for every action call. One session is
# kept per event loop instead; idle connections are dropped after this many seconds, before the action
# server's own keep-alive timeout (Sanic's default is 5 s) can close one as a request goes out.
KEEPALIVE_SECONDS = 2.0


def apology_response(events: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """A valid action-server response (Rasa's response schema) carrying the apology."""
    return {"events": events or [], "responses": [{"text": APOLOGY, "custom": dict(UNAVAILABLE_PAYLOAD)}]}


def _keep_form_asking(call: Dict[str, Any]) -> List[Dict[str, Any]]:
    """For a form's validation action: clear the slot being asked, so the form asks it again."""
    action = str(call.get("next_action") or "")
    asked = ((call.get("tracker") or {}).get("slots") or {}).get("requested_slot")
    if action.startswith("validate_") and asked:
        return [{"event": "slot", "name": asked, "value": None}]
    return []


class _KeptSession:
    """`async with` over a session that outlives the block (Rasa's request closes what it opens)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self.session

    async def __aexit__(self, *exc_info: Any) -> bool:
        return False


def timeout_seconds() -> float:
    return float(os.environ.get("ACTION_TIMEOUT_SECONDS") or DEFAULT_TIMEOUT_SECONDS)


class ResilientActionEndpoint(EndpointConfig):
    """The configured action endpoint, answering with an apology when the action server fails."""

    def __init__(self, config: EndpointConfig, timeout: Optional[float] = None) -> None:
        super().__init__(config.url, config.params, config.headers, config.basic_auth, config.token,
                         config.token_name, config.cafile, **config.kwargs)
        self.type = config.type
        self.timeout = timeout if timeout is not None else timeout_seconds()
        self._apologised: "OrderedDict[tuple, None]" = OrderedDict()  # turns already apologised for
        self._session: Optional[aiohttp.ClientSession] = None
        self._session_loop: Optional[asyncio.AbstractEventLoop] = None

    def session(self) -> Any:
        """Rasa's client session (same headers, auth and timeout), opened once per event loop."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._session_loop is not loop:
            auth = aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"]) \
                if self.basic_auth else None
            self._session = aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=KEEPALIVE_SECONDS))
            self._session_loop = loop
        return _KeptSession(self._session)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def request(self, method: Text = "post", subpath: Optional[Text] = None,
                      content_type: Optional[Text] = "application/json", compress: bool = False,
                      **kwargs: Any) -> Optional[Any]:
        kwargs["timeout"] = aiohttp.ClientTimeout(total=self.timeout)
        call = kwargs.get("json") or {}
        try:
            response = await super().request(method, subpath, content_type, compress, **kwargs)
            slots = (call.get("tracker") or {}).get("slots") or {}
            return trim_response(str(call.get("next_action") or ""), response, slots)
        except ClientResponseError as error:
            if error.status < 500:
                raise
            reason = f"status {error.status}"
        except asyncio.TimeoutError:
            reason = f"no answer within {self.timeout:g} s"
        except aiohttp.ClientError as error:
            reason = f"{type(error).__name__}: {error}"
        tracker = call.get("tracker") or {}
        turn = (call.get("sender_id"), (tracker.get("latest_message") or {}).get("message_id"))
        logger.error(f"Action server at {self.url} failed for '{call.get('next_action')}' ({reason}).")
        if turn in self._apologised:
            return {"events": _keep_form_asking(call), "responses": []}
        self._apologised[turn] = None
        while len(self._apologised) > REMEMBERED_TURNS:
            self._apologised.popitem(last=False)
        return apology_response(_keep_form_asking(call))


__all__ = ["APOLOGY", "ResilientActionEndpoint", "apology_response"]
