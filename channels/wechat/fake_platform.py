"""A local stand-in for the WeChat platform, for tests, the benchmark and demos without a real 公众号.

- `FakeWeChatAPI`: an aiohttp app answering /cgi-bin/token, /cgi-bin/message/custom/send and
  /cgi-bin/menu/create the way WeChat does (errcodes included) and recording every call. Point
  WECHAT_API_BASE at it. `GET /_calls` shows the record, `POST /_expire` makes the current tokens
  expire (the next send gets 42001), `POST /_refuse?errcode=45047&count=1` refuses the next sends.
- `WeChatUser`: builds the pushes WeChat would send a server — signed, and encrypted in 安全模式 — and
  reads the replies.

    python -m channels.wechat.fake_platform --port 5280   # run the fake API alone
"""
from __future__ import annotations

import argparse
import asyncio
import hashlib
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urlencode

from aiohttp import web
from wechatpy.crypto import WeChatCrypto

from .protocol import parse_xml


class FakeWeChatAPI:
    def __init__(self, app_id: str, app_secret: str, expires_in: int = 7200) -> None:
        self.app_id, self.app_secret, self.expires_in = app_id, app_secret, expires_in
        self.token_calls = 0
        self.sent: List[Dict[str, Any]] = []          # accepted customer-service messages
        self.send_attempts: List[Dict[str, Any]] = []  # every send call, with the token it used
        self.menus: List[Dict[str, Any]] = []
        self.valid_tokens: set = set()
        self.refusals: List[int] = []                 # errcodes for the next sends
        self.delay = 0.0                              # seconds before each send answers

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self.token)
        app.router.add_post("/cgi-bin/message/custom/send", self.custom_send)
        app.router.add_post("/cgi-bin/menu/create", self.menu_create)
        app.router.add_get("/_calls", self.calls)
        app.router.add_post("/_expire", self.expire)
        app.router.add_post("/_refuse", self.refuse)
        return app

    async def token(self, request: web.Request) -> web.Response:
        self.token_calls += 1
        if request.query.get("appid") != self.app_id:
            return web.json_response({"errcode": 40013, "errmsg": "invalid appid"})
        if request.query.get("secret") != self.app_secret:
            return web.json_response({"errcode": 40125, "errmsg": "invalid appsecret"})
        token = f"TOKEN-{self.token_calls}-{uuid.uuid4().hex[:8]}"
        self.valid_tokens.add(token)
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    def _token_error(self, request: web.Request) -> Optional[web.Response]:
        token = request.query.get("access_token", "")
        if not token:
            return web.json_response({"errcode": 41001, "errmsg": "access_token missing"})
        if token not in self.valid_tokens:
            return web.json_response({"errcode": 42001, "errmsg": "access_token expired"})
        return None

    async def custom_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.send_attempts.append({"token": request.query.get("access_token", ""), **body})
        if self.delay:
            await asyncio.sleep(self.delay)
        error = self._token_error(request)
        if error is not None:
            return error
        if self.refusals:
            errcode = self.refusals.pop(0)
            return web.json_response({"errcode": errcode, "errmsg": "refused by the fake"})
        content = body.get("text", {}).get("content", "")
        if len(content.encode("utf-8")) > 2047:
            return web.json_response({"errcode": 45002, "errmsg": "content size out of limit"})
        self.sent.append({"touser": body.get("touser"), "content": content, "at": time.time()})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def menu_create(self, request: web.Request) -> web.Response:
        error = self._token_error(request)
        if error is not None:
            return error
        self.menus.append(await request.json())
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def calls(self, _: web.Request) -> web.Response:
        return web.json_response({"token_calls": self.token_calls, "sent": self.sent, "menus": self.menus,
                                  "send_attempts": len(self.send_attempts)})

    async def expire(self, _: web.Request) -> web.Response:
        self.valid_tokens.clear()
        return web.json_response({"errcode": 0})

    async def refuse(self, request: web.Request) -> web.Response:
        self.refusals += [int(request.query.get("errcode", "45047"))] * int(request.query.get("count", "1"))
        return web.json_response({"errcode": 0})

    def sent_to(self, openid: str) -> List[str]:
        return [m["content"] for m in self.sent if m["touser"] == openid]


class FakeAPIThread:
    """The fake API served from a background thread (for synchronous tests and scripts)."""

    def __init__(self, api: FakeWeChatAPI, port: int = 0) -> None:
        self.api, self.port = api, port
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.api.app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def start(self) -> "FakeAPIThread":
        self._thread.start()
        self._ready.wait(10)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class WeChatUser:
    """One follower of the 公众号, as WeChat's servers present them to ours."""

    def __init__(self, token: str, app_id: str, aes_key: Optional[str] = None, openid: Optional[str] = None,
                 account: str = "gh_0123456789ab") -> None:
        self.token, self.app_id, self.account = token, app_id, account
        self.openid = openid or "o" + uuid.uuid4().hex[:27]
        self.crypto = WeChatCrypto(token, aes_key, app_id) if aes_key else None
        self._msg_id = int(time.time() * 1000)

    def sign(self, timestamp: str, nonce: str) -> str:
        return hashlib.sha1("".join(sorted([self.token, timestamp, nonce])).encode()).hexdigest()

    def query(self, timestamp: Optional[int] = None, **extra: str) -> Dict[str, str]:
        stamp, nonce = str(timestamp if timestamp is not None else int(time.time())), uuid.uuid4().hex[:10]
        return {"signature": self.sign(stamp, nonce), "timestamp": stamp, "nonce": nonce, "openid": self.openid,
                **extra}

    def xml(self, msg_type: str, msg_id: Optional[int] = None, **fields: str) -> str:
        """A push as XML; messages get a fresh MsgId unless one is given, events none."""
        if msg_type != "event":
            self._msg_id += 1
            fields.setdefault("MsgId", str(msg_id if msg_id is not None else self._msg_id))
        nodes = [f"<ToUserName><![CDATA[{self.account}]]></ToUserName>",
                 f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>",
                 f"<CreateTime>{fields.pop('CreateTime', int(time.time()))}</CreateTime>",
                 f"<MsgType><![CDATA[{msg_type}]]></MsgType>"]
        nodes += [f"<{k}><![CDATA[{v}]]></{k}>" for k, v in fields.items()]
        return "<xml>" + "".join(nodes) + "</xml>"

    def push(self, xml: str, encrypted: bool = False, timestamp: Optional[int] = None) -> Tuple[Dict[str, str], bytes]:
        """The query string and body WeChat would POST for this XML."""
        query = self.query(timestamp)
        if not encrypted:
            return query, xml.encode("utf-8")
        envelope = parse_xml(self.crypto.encrypt_message(xml, query["nonce"], query["timestamp"]).encode())
        body = (f"<xml><ToUserName><![CDATA[{self.account}]]></ToUserName>"
                f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>")
        query.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        return query, body.encode("utf-8")

    def read_reply(self, body: str, encrypted: bool = False) -> Optional[Dict[str, str]]:
        """The reply's fields, or None for `success`/empty. Encrypted replies are checked and opened."""
        if body.strip() in ("", "success"):
            return None
        fields = parse_xml(body.encode("utf-8"))
        if encrypted:
            inner = self.crypto.decrypt_message({"Encrypt": fields["Encrypt"]}, fields["MsgSignature"],
                                                fields["TimeStamp"], fields["Nonce"])
            fields = parse_xml(inner.encode("utf-8") if isinstance(inner, str) else inner)
        return fields


def path_with_query(path: str, query: Dict[str, str]) -> str:
    return f"{path}?{urlencode(query)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=5280)
    parser.add_argument("--app-id", default="wx_fake_app")
    parser.add_argument("--app-secret", default="fake-secret")
    args = parser.parse_args()
    web.run_app(FakeWeChatAPI(args.app_id, args.app_secret).app(), host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
