"""Rasa 3.6's socket.io channel, with the three fixes the web widget needs.

Referenced from bot/credentials.yml as `channels.webchat.socketio_channel.WebchatSocketIOInput`; the
events, `session_persistence` and `metadata_key` settings are those of the built-in `socketio` channel.

1. Session rooms: the built-in channel calls `sio.enter_room` without awaiting it (a coroutine in
   python-socketio 5), so with `session_persistence: true` no reply ever reaches the browser.
2. Origins: the built-in channel creates its server with `cors_allowed_origins=[]`, which switches
   python-engineio's origin check off, so any web page could open a conversation. Here only the
   origins in WEBCHAT_ALLOWED_ORIGINS (comma-separated) may connect; by default the demo page's
   (http://127.0.0.1:$WEBCHAT_PORT and http://localhost:$WEBCHAT_PORT, port 8080). Clients that send
   no Origin header (scripts, tests) are not browsers and are let through by python-engineio.
3. Payloads: the built-in output sends a `custom` payload as keyword arguments of `sio.emit`
   (`emit(event, measure=..., sources=...)`), which raises TypeError, so the answer payload never
   arrives. Here it is sent as `{"custom": payload}`, the shape the REST channel uses. Text is sent
   whole, with its buttons, instead of being split at blank lines with the buttons on the last part.
4. Limits: the per-sender rate limit and message-size limit every channel shares (bot/limits.py), with
   the same polite reply as the REST channel (its text, then its payload), and socket.io packets over
   MAX_PACKET_BYTES refused by python-engineio before they are decoded (the built-in channel accepts 1 MB).
"""
from __future__ import annotations

import json
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import UserMessage, decode_bearer_token
from rasa.core.channels.socketio import SocketBlueprint, SocketIOInput, SocketIOOutput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from bot import limits

logger = logging.getLogger(__name__)

DEFAULT_PORT = "8080"
# A message is at most MAX_MESSAGE_CHARS (2000) characters, a few KB of JSON with its metadata; the same
# bound as nginx's request-body limit in front of every channel (deploy/nginx/policybot.conf).
MAX_PACKET_BYTES = 64 * 1024


def allowed_origins(environ: Optional[Dict[str, str]] = None) -> List[str]:
    """The browser origins that may connect: WEBCHAT_ALLOWED_ORIGINS, else the demo page's."""
    environ = os.environ if environ is None else environ
    configured = environ.get("WEBCHAT_ALLOWED_ORIGINS", "").strip()
    if configured:
        return [origin.strip().rstrip("/") for origin in configured.split(",") if origin.strip()]
    port = environ.get("WEBCHAT_PORT", "").strip() or DEFAULT_PORT
    return [f"http://127.0.0.1:{port}", f"http://localhost:{port}"]


class WebchatSocketIOOutput(SocketIOOutput):
    @classmethod
    def name(cls) -> Text:
        return "socketio"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"text": text})

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        quick_replies = [{"content_type": "text", "title": b["title"], "payload": b["payload"]} for b in buttons]
        await self._send_message(recipient_id, {"text": text, "quick_replies": quick_replies})

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self._send_message(recipient_id, {"custom": json_message})


class WebchatSocketIOInput(SocketIOInput):
    """The socket.io channel for the web widget (same settings as Rasa's `socketio` channel)."""

    @classmethod
    def name(cls) -> Text:
        return "socketio"

    def get_output_channel(self) -> Optional[WebchatSocketIOOutput]:
        return WebchatSocketIOOutput(self.sio, self.bot_message_evt) if self.sio else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        origins = allowed_origins()
        logger.info("socket.io channel accepts the origins %s", ", ".join(origins))
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=origins, max_http_buffer_size=MAX_PACKET_BYTES)
        socketio_webhook = SocketBlueprint(sio, self.socketio_path, "socketio_webhook", __name__)
        self.sio = sio

        @socketio_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=self.namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict]) -> bool:
            if not self.jwt_key:
                return True
            token = (auth or {}).get("token")
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict]) -> None:
            data = data if isinstance(data, dict) else {}
            session_id = data.get("session_id")
            if not isinstance(session_id, str) or not session_id.strip():
                session_id = uuid.uuid4().hex
            if self.session_persistence:
                # A coroutine in python-socketio 5.x's AsyncServer; Rasa's channel does not await it, so the
                # socket never joins the session's room and the replies, sent to that room, reach no one.
                await sio.enter_room(sid, session_id)
            await sio.emit("session_confirm", session_id, room=sid)

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not isinstance(data, dict):
                return
            if self.session_persistence:
                sender_id = data.get("session_id")
                if not isinstance(sender_id, str) or not sender_id:
                    logger.warning("socket.io message without a session_id ignored; send session_request first")
                    return
            else:
                sender_id = sid
            metadata = data.get(self.metadata_key) or {}
            if isinstance(metadata, str):
                try:
                    metadata = json.loads(metadata)
                except ValueError:
                    metadata = {}
            if not isinstance(metadata, dict):
                metadata = {}
            text = data.get("message")
            output = WebchatSocketIOOutput(sio, self.bot_message_evt)
            refused = limits.refusal(sender_id, text)
            if refused is not None:
                reply, payload = refused
                await output.send_text_message(sender_id, reply)
                await output.send_custom_json(sender_id, payload)
                return
            message = UserMessage(text if isinstance(text, str) else "", output,
                                  sender_id, input_channel=self.name(), metadata=metadata)
            await on_new_message(message)

        return socketio_webhook
