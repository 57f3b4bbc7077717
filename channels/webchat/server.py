"""The demo page: a plain mock of the employment website with the chat widget, served with a
Content-Security-Policy. Also serves the widget's files (static/) and the socket.io client from npm.

    python -m channels.webchat.server      # http://127.0.0.1:8080/

WEBCHAT_HOST (127.0.0.1) and WEBCHAT_PORT (8080) choose where it listens; WEBCHAT_RASA_URL (default
http://127.0.0.1:$RASA_PORT, port 5005) is the Rasa server the widget talks to; WEBCHAT_AS_OF
(YYYY-MM-DD, optional) puts data-as-of on the embed so the answers are given for that day; so does
?as_of=YYYY-MM-DD on the page's address.
"""
from __future__ import annotations

import html
import os
import re
import sys
from pathlib import Path
from typing import Dict, Optional
from urllib.parse import urlsplit

from aiohttp import web

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
AS_OF = re.compile(r"\d{4}-\d{2}-\d{2}")
VENDOR = HERE / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"


def settings(environ: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    environ = os.environ if environ is None else environ
    as_of = environ.get("WEBCHAT_AS_OF", "").strip()
    if as_of and not AS_OF.fullmatch(as_of):
        raise SystemExit(f"WEBCHAT_AS_OF must be YYYY-MM-DD, not {as_of!r}")
    return {
        "host": environ.get("WEBCHAT_HOST", "127.0.0.1"),
        "port": environ.get("WEBCHAT_PORT", "8080"),
        "rasa_url": environ.get("WEBCHAT_RASA_URL", f"http://127.0.0.1:{environ.get('RASA_PORT', '5005')}").rstrip("/"),
        "as_of": as_of,
    }


def content_security_policy(rasa_url: str) -> str:
    """Scripts, styles and images only from this server; connections only to it and the Rasa server."""
    parts = urlsplit(rasa_url)
    socket_origin = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"
    return "; ".join([
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
        f"connect-src 'self' {parts.scheme}://{parts.netloc} {socket_origin}",
        "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ])


def create_app(config: Dict[str, str]) -> web.Application:
    if not VENDOR.exists():
        raise SystemExit(f"{VENDOR} is missing: run `make install` (it runs npm ci in channels/webchat)")
    template = (HERE / "demo" / "index.html").read_text(encoding="utf-8")

    def page(as_of: str) -> str:
        as_of_attr = f' data-as-of="{html.escape(as_of)}"' if as_of else ""
        return template.format(server=html.escape(config["rasa_url"]), as_of_attr=as_of_attr)

    policy = content_security_policy(config["rasa_url"])

    @web.middleware
    async def security_headers(request: web.Request, handler):
        response = await handler(request)
        response.headers["Content-Security-Policy"] = policy
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        return response

    async def index(request: web.Request) -> web.Response:
        # ?as_of=2022-09-01 shows the page as of that day (for demos and reviews), like WEBCHAT_AS_OF.
        as_of = request.query.get("as_of", "")
        as_of = as_of if AS_OF.fullmatch(as_of) else config["as_of"]
        return web.Response(text=page(as_of), content_type="text/html", charset="utf-8")

    async def demo_css(_: web.Request) -> web.FileResponse:
        return web.FileResponse(HERE / "demo" / "demo.css")

    async def socketio_client(_: web.Request) -> web.FileResponse:
        return web.FileResponse(VENDOR, headers={"Content-Type": "application/javascript"})

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    app = web.Application(middlewares=[security_headers])
    app.router.add_get("/", index)
    app.router.add_get("/demo.css", demo_css)
    app.router.add_get("/health", health)
    app.router.add_get("/webchat/vendor/socket.io.min.js", socketio_client)
    app.router.add_static("/webchat/", STATIC)
    return app


def main() -> None:
    config = settings()
    app = create_app(config)
    print(f"网页聊天演示页：http://{config['host']}:{config['port']}/ （连接 Rasa 服务 {config['rasa_url']}）", flush=True)
    web.run_app(app, host=config["host"], port=int(config["port"]), print=None)


if __name__ == "__main__":
    sys.exit(main())
