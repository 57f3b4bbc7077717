"""Every URL of the staff application. JSON under /api/ (the panel's page and other systems such as the
hotline's CRM call the same routes), the pages at / and /login, their files under /static/.

Only the routes marked @public are reachable without a session: the login page, its two files, and
the login itself. Every other route needs a session; every POST needs the CSRF header (app.py).
"""
from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Any, Dict, Optional

from aiohttp import web

from policies_kb.facts import FactError
from policies_kb.loader import kb
from policies_kb.schema import ASPECT_LABELS, ASPECTS

from . import assist as assist_module
from . import db, search as search_module
from .security import (CSRF_COOKIE, authenticate, csrf_ok, end_session, list_users, login_csrf_token, public,
                       require_role, start_session, too_many_failures)

STATIC = Path(__file__).parent / "static"
PUBLIC_FILES = ("login.js", "staff.css")   # what the login page loads
PRIVATE_FILES = ("panel.js", "handoff.js", "handoff.css", "handoff-badge.js")  # served only to a session
ALL_ROLES = db.ROLES

# The navigation: (path, label, roles that see it). The analytics (issue 10) adds its entry here, and
# guards its routes with @require_role("reviewer", "admin").
NAV = [
    ("/", "坐席助手", ALL_ROLES),
    ("/handoff", "人工接待", ("agent", "admin")),  # channels/staff/handoff.py
    ("/analytics", "咨询分析", ("reviewer", "admin")),       # channels/staff/analytics.py
    ("/review", "审核收件箱", ("reviewer", "admin")),
    ("/conversations", "对话记录", ("reviewer", "admin")),
]

routes = web.RouteTableDef()


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def _json_body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise web.HTTPBadRequest(text=json.dumps({"error": "请求内容不是有效的 JSON。"}), content_type="application/json")
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "请求内容应为 JSON 对象。"}), content_type="application/json")
    return body


def _day(value: Any) -> date:
    """The date asked for ('YYYY-MM-DD'), today when none."""
    if value in (None, ""):
        return date.today()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise web.HTTPBadRequest(text=json.dumps({"error": "日期格式应为 YYYY-MM-DD。"}), content_type="application/json")


def _measure(value: Any) -> str:
    found = kb().find_measure(str(value)) if isinstance(value, (str, int)) and str(value) else None
    if found is None:
        raise web.HTTPNotFound(text=json.dumps({"error": "没有这项政策。"}), content_type="application/json")
    return found.id


def _facts(value: Any) -> Dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise web.HTTPBadRequest(text=json.dumps({"error": "facts 应为对象。"}), content_type="application/json")
    # An emptied control sends null or "": that fact is not known.
    return {str(k): v for k, v in value.items() if v not in (None, "")}


def _optional_aspect(value: Any) -> Optional[str]:
    return value if isinstance(value, str) and value in ASPECTS else None


# ---- pages and files ------------------------------------------------------------------------------

def _file(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name)


@routes.get("/login")
@public
async def login_page(request: web.Request) -> web.StreamResponse:
    return _file("login.html")


@routes.get("/")
async def panel_page(request: web.Request) -> web.StreamResponse:
    return _file("panel.html")


@routes.get("/static/{name}")
@public
async def static_file(request: web.Request) -> web.StreamResponse:
    """The login page's files for anyone; the panel's only with a session (checked here, as this route is public)."""
    name = request.match_info["name"]
    if name in PUBLIC_FILES:
        return _file(name)
    if name in PRIVATE_FILES and request.get("session"):
        return _file(name)
    if name in PRIVATE_FILES:
        raise web.HTTPUnauthorized(text=json.dumps({"error": "请先登录。"}), content_type="application/json")
    raise web.HTTPNotFound()


# ---- login and session ----------------------------------------------------------------------------

@routes.get("/api/login")
@public
async def login_token(request: web.Request) -> web.Response:
    """The pre-session CSRF token the login form sends back (and its cookie)."""
    response = web.json_response({})
    response.text = json.dumps({"csrf": login_csrf_token(request, response)})
    return response


@routes.post("/api/login")
@public
async def login(request: web.Request) -> web.Response:
    if not csrf_ok(request, request.cookies.get(CSRF_COOKIE)):
        return error(403, "页面已过期，请刷新后重新登录。")
    body = await _json_body(request)
    name, password = body.get("name"), body.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name.strip() or not password:
        return error(400, "请输入账号和密码。")
    if too_many_failures(request.app["engine"], name.strip()[:64], (request.remote or "unknown")[:64]):
        return error(429, "登录失败次数过多，请15分钟后再试。")
    user = await authenticate(request, name, password[:1024])
    if user is None:
        return error(401, "账号或密码不正确，或账号已停用。")
    response = web.json_response({})
    session = start_session(request, response, user)
    response.text = json.dumps({"name": user.name, "role": user.role, "csrf": session.csrf_token})
    return response


@routes.post("/api/logout")
async def logout(request: web.Request) -> web.Response:
    response = web.json_response({"ok": True})
    end_session(request, response)
    return response


@routes.get("/api/session")
async def session_info(request: web.Request) -> web.Response:
    session = request["session"]
    return web.json_response({
        "name": session.user.name, "role": session.user.role, "csrf": session.csrf_token,
        "expires_at": session.expires_at.isoformat() + "Z",
        "nav": [{"href": href, "label": label} for href, label, roles in NAV if session.user.role in roles],
    })


# ---- assist -----------------------------------------------------------------------------------------

@routes.get("/api/measures")
async def measures(request: web.Request) -> web.Response:
    return web.json_response({
        "measures": [{"measure": m.id, "number": m.number, "name": m.name} for m in kb().measures],
        "aspects": [{"aspect": a, "label": ASPECT_LABELS[a]} for a in ASPECTS],
    })


@routes.post("/api/assist")
async def assist(request: web.Request) -> web.Response:
    """A caller's sentence → the recognised measures, the answers and the prefilled checklist."""
    body = await _json_body(request)
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return error(400, "请输入来电人所说的内容。")
    day = _day(body.get("as_of"))
    context = body.get("context_measure")
    context_measure = kb().find_measure(context).id if isinstance(context, str) and kb().find_measure(context) else None
    started = time.perf_counter()
    try:
        message = await assist_module.parse(request.app["client"], text.strip()[:assist_module.MAX_TEXT])
    except assist_module.RasaUnavailable:
        return error(503, "语义识别服务暂时不可用，请稍后再试，或直接在下方选择政策、搜索知识库。")
    parsed = time.perf_counter()
    result = assist_module.assist(message, day, context_measure, _optional_aspect(body.get("context_aspect")))
    result["as_of"] = day.isoformat()
    result["timing_ms"] = {"parse": round((parsed - started) * 1000, 1),
                           "total": round((time.perf_counter() - started) * 1000, 1)}
    return web.json_response(result)


@routes.post("/api/measure")
async def measure_view(request: web.Request) -> web.Response:
    """One measure's answers (every aspect) and checklist, for a measure picked in the panel."""
    body = await _json_body(request)
    try:
        view = assist_module.measure_view(_measure(body.get("measure")), _facts(body.get("facts")), _day(body.get("as_of")))
    except FactError as problem:
        return error(400, str(problem))
    return web.json_response(view)


@routes.post("/api/check")
async def check(request: web.Request) -> web.Response:
    """The engine's verdict for a measure on the facts ticked so far, the checklist and the SMS text."""
    body = await _json_body(request)
    try:
        view = assist_module.check_view(_measure(body.get("measure")), _facts(body.get("facts")), _day(body.get("as_of")))
    except FactError as problem:
        return error(400, str(problem))
    return web.json_response(view)


@routes.get("/api/search")
async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "").strip()
    if not query:
        return error(400, "请输入要搜索的关键词。")
    return web.json_response({"query": query[:search_module.MAX_QUERY], "results": search_module.search(query)})


# ---- administration -------------------------------------------------------------------------------

@routes.get("/api/users")
@require_role("admin")
async def users(request: web.Request) -> web.Response:
    """The accounts (read only here: `policybot-staff users …` creates and disables them)."""
    rows = list_users(request.app["engine"])
    return web.json_response({"users": [{"name": r.name, "role": r.role, "disabled": bool(r.disabled),
                                         "created_at": r.created_at.isoformat() + "Z"} for r in rows]})
