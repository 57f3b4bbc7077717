"""The staff application factory: one aiohttp app for the assist panel (and later the analytics).

Settings come from bot/settings.py (DATABASE_URL, RASA_PORT, RASA_API_TOKEN, STAFF_PORT); the
session lifetime from STAFF_SESSION_HOURS (security.py).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Optional

import aiohttp
from aiohttp import web
from sqlalchemy.engine import Engine

from . import analytics, assist, db, handoff, search
from .routes import routes
from .security import SAFE_METHODS, csrf_ok, current_session

logger = logging.getLogger(__name__)

MAX_BODY = 64 * 1024
# No inline script or style anywhere, nothing from another origin.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _wants_page(request: web.Request) -> bool:
    return request.method == "GET" and not request.path.startswith(("/api/", "/static/"))


@web.middleware
async def security_middleware(request: web.Request, handler) -> web.StreamResponse:
    """Session required (except @public routes), CSRF on every state-changing request, safe headers,
    and no stack trace ever leaves the server."""
    try:
        session = current_session(request)
        request["session"] = session
        public = getattr(handler, "staff_public", False)
        if not public:
            if session is None:
                if _wants_page(request):
                    raise web.HTTPFound("/login")
                return _json_error(401, "请先登录。")
            if request.method not in SAFE_METHODS and not csrf_ok(request, session.csrf_token):
                return _json_error(403, "安全校验失败（CSRF），请刷新页面后重试。")
        response = await handler(request)
    except web.HTTPException as problem:
        if problem.status >= 400 and problem.content_type != "application/json":
            response = _json_error(problem.status, {404: "没有这个页面。", 405: "不支持该请求方法。",
                                                    413: "请求内容过长。"}.get(problem.status, "请求无法处理。"))
        else:
            response = problem
    except Exception:  # noqa: BLE001 — logged here, never shown
        logger.exception("staff request failed: %s %s", request.method, request.path)
        response = _json_error(500, "服务器内部错误，请稍后再试。")
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


def create_app(database_url: Optional[str] = None, engine: Optional[Engine] = None) -> web.Application:
    app = web.Application(middlewares=[security_middleware], client_max_size=MAX_BODY)
    app["engine"] = engine or db.connect(database_url)

    async def rasa_client(app: web.Application):
        app["client"] = aiohttp.ClientSession()
        yield
        await app["client"].close()

    async def warm_up(app: web.Application) -> None:
        # Load the knowledge base and build the search index before the first agent waits for them.
        await asyncio.get_running_loop().run_in_executor(None, search.index)
        try:  # the Rasa server's first parse is slow (about 1.5 s); pay it now if the server is up
            await assist.parse(app["client"], "你好")
        except assist.RasaUnavailable:
            pass

    app.cleanup_ctx.append(rasa_client)
    app.on_startup.append(warm_up)
    app.add_routes(routes)
    handoff.setup(app)  # hand-off to a human agent: its routes and the watcher (channels/staff/handoff.py)
    analytics.setup(app)  # the analytics, review inbox and conversations browser (issue 10)
    return app

