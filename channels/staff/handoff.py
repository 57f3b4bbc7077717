"""Hand-off to a human agent, the staff application's side: the queue page's API, taking a conversation,
answering the citizen, handing back to the bot, and the watcher that reads paused conversations.

Nothing of a conversation is copied here. Its transcript and the facts the bot collected are read from
the tracker store through Rasa's conversations API (GET /conversations/{id}/tracker, with the API token);
the agent's messages are appended as bot events with `POST /conversations/{id}/tracker/events?
output_channel=<channel>&execute_side_effects=true`, so Rasa delivers them through that channel's
get_output_channel(): a socket.io emit to the citizen's room for the widget, the customer-service
message API for WeChat. The hand-back appends ConversationResumed and the bot's message saying so.

While a conversation is paused Rasa records the citizen's messages without answering. The watcher
(WATCH_SECONDS) reads each open request's new messages: "结束人工服务" hands it back; while nobody has
taken it the citizen is reminded now and then that it waits (with 12333); a conversation that is no
longer paused (restarted, or its session expired) leaves the queue.
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

import aiohttp
from aiohttp import web

from bot import settings
from bot.text import redact
from policies_kb.loader import kb

from . import db
from . import handoff_queue as queue
from .security import SESSION_COOKIE, _token_hash, require_role

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
FILES = ("handoff.js", "handoff.css", "handoff-badge.js")   # served to a session only (routes.PRIVATE_FILES)
WATCH = True                   # tests drive watch_once() themselves
WATCH_SECONDS = 1.0
WAITING_NOTE_SECONDS = 120     # at most one "still waiting" reminder per this many seconds
SETTLE_SECONDS = 15            # a new request's pause may still be on its way to the tracker store
RASA_TIMEOUT = aiohttp.ClientTimeout(total=10)
MAX_REPLY = 1000               # characters of one agent message
HOTLINE = "12333"

TAKEN = "人工客服已接入，请问有什么可以帮您？"
CLOSED = "人工服务已结束，接下来由智能助手继续为您服务。您可以继续问我政策问题，例如“失业金怎么领”。"
WAITING = (f"您的人工服务请求正在排队，客服接入后会在这里回复您；急需咨询请拨打{HOTLINE}人社服务热线。"
           f"如需返回智能助手，请输入“{queue.END_PHRASE}”。")

routes = web.RouteTableDef()
TAKERS = queue.TAKERS


class RasaError(Exception):
    """The Rasa server did not do what was asked."""


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


# ---- Rasa's conversations API -----------------------------------------------------------------------

def _conversation_url(sender_id: str, tail: str = "") -> str:
    return f"{settings.rasa_url()}/conversations/{quote(sender_id, safe='')}/tracker{tail}"


async def fetch_tracker(client: aiohttp.ClientSession, sender_id: str) -> Dict[str, Any]:
    try:
        async with client.get(_conversation_url(sender_id), timeout=RASA_TIMEOUT,
                              params={"token": settings.api_token(), "include_events": "AFTER_RESTART"}) as response:
            if response.status != 200:
                raise RasaError(f"HTTP {response.status}")
            return await response.json()
    except (aiohttp.ClientError, asyncio.TimeoutError) as problem:
        raise RasaError(type(problem).__name__) from problem


async def append_events(client: aiohttp.ClientSession, sender_id: str, channel: str, events: List[Dict]) -> None:
    """Append events; the bot events among them are sent to the citizen on `channel`."""
    params = {"token": settings.api_token(), "output_channel": channel, "execute_side_effects": "true",
              "include_events": "NONE"}
    try:
        async with client.post(_conversation_url(sender_id, "/events"), params=params, json=events,
                               timeout=RASA_TIMEOUT) as response:
            if response.status != 200:
                raise RasaError(f"HTTP {response.status}")
    except (aiohttp.ClientError, asyncio.TimeoutError) as problem:
        raise RasaError(type(problem).__name__) from problem


def bot_event(text: str, status: str, channel: str) -> Dict[str, Any]:
    """A message to the citizen; payload {"handoff": {"status": …}} (README, "Answer payload")."""
    if status == "agent" and channel == "wechat":
        text = f"【人工客服】{text}"  # WeChat shows no sender label of its own
    return {"event": "bot", "text": text, "data": {"custom": {"handoff": {"status": status}}}}


# ---- what the agent sees ----------------------------------------------------------------------------

def _shown(event: Dict[str, Any]) -> str:
    text = event.get("text") or ""
    if text.startswith("/"):  # a button: show what was pressed, not the intent syntax
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or text[1:].split("{")[0]
        return "（点击：转人工）" if intent == "human_handoff" else f"（点击了选项：{intent}）"
    return redact(text)


def transcript(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    """The conversation as lines: who (citizen / bot / agent), the text (personal numbers masked), when."""
    lines: List[Dict[str, Any]] = []
    for event in tracker.get("events") or []:
        kind = event.get("event")
        if kind == "user":
            lines.append({"from": "citizen", "text": _shown(event), "at": event.get("timestamp")})
        elif kind == "bot" and event.get("text"):
            custom = (event.get("data") or {}).get("custom") or {}
            agent = isinstance(custom, dict) and (custom.get("handoff") or {}).get("status") == "agent"
            lines.append({"from": "agent" if agent else "bot", "text": redact(event["text"]), "at": event.get("timestamp")})
        elif kind in ("pause", "resume"):
            lines.append({"from": "system", "text": "转入人工服务" if kind == "pause" else "返回智能助手",
                          "at": event.get("timestamp")})
    return lines


def collected_facts(tracker: Dict[str, Any]) -> List[Dict[str, str]]:
    """What the bot learned: the measure under discussion, the date asked about, every fact (with its label)."""
    from actions.fact_forms import describe  # the bot's own wording of a fact

    slots = tracker.get("slots") or {}
    shown: List[Dict[str, str]] = []
    measure = kb().find_measure(slots["measure"]) if isinstance(slots.get("measure"), str) else None
    if measure:
        shown.append({"label": "咨询的政策", "value": measure.name})
    if slots.get("as_of"):
        shown.append({"label": "按日期", "value": str(slots["as_of"])})
    for key, value in (slots.get("facts") or {}).items():
        try:
            label, _, text = describe(key, value).partition("：")
        except (KeyError, ValueError, TypeError):
            continue  # a fact this version of the knowledge base no longer knows
        shown.append({"label": label, "value": redact(text)})
    return shown


def _iso(moment) -> Optional[str]:
    return moment.isoformat() + "Z" if moment else None


def _row(row, user_id: int) -> Dict[str, Any]:
    return {"id": row.id, "channel": row.channel, "channel_name": {"socketio": "网页", "wechat": "微信"}.get(row.channel, row.channel),
            "status": row.status, "reason": row.reason, "requested_at": _iso(row.requested_at),
            "waiting_seconds": int((db.now() - row.requested_at).total_seconds()),
            "taken_by": row.taken_by_name, "taken_at": _iso(row.taken_at), "closed_at": _iso(row.closed_at),
            "closed_by": row.closed_by, "mine": row.taken_by == user_id}


def _seen(request: web.Request) -> None:
    """This page is open: the agent counts as online (handoff_queue.agents_online)."""
    token = request.cookies.get(SESSION_COOKIE)
    session = request["session"]
    if token:
        queue.seen(request.app["engine"], _token_hash(token), session.user.id)


def _status(engine) -> Dict[str, Any]:
    queued, taken = queue.counts(engine)
    hours = queue.service_hours()
    return {"queued": queued, "taken": taken, "agents_online": queue.agents_online(engine),
            "in_hours": queue.in_service_hours(), "hours": hours.describe() if hours else None}


# ---- routes -----------------------------------------------------------------------------------------

@routes.get("/handoff")
async def handoff_page(request: web.Request) -> web.StreamResponse:
    if request["session"].user.role not in TAKERS:
        raise web.HTTPFound("/")
    return web.FileResponse(STATIC / "handoff.html")


@routes.get("/api/handoffs/status")
@require_role(*TAKERS)
async def status(request: web.Request) -> web.Response:
    """How many wait (for the badge on every page of the panel); polling it keeps the agent online."""
    _seen(request)
    return web.json_response(_status(request.app["engine"]))


@routes.get("/api/handoffs")
@require_role(*TAKERS)
async def queue_list(request: web.Request) -> web.Response:
    _seen(request)
    engine, me = request.app["engine"], request["session"].user.id
    return web.json_response({**_status(engine), "handoffs": [_row(r, me) for r in queue.open_requests(engine)]})


def _handoff_id(request: web.Request) -> int:
    value = request.match_info["id"]
    if not value.isdigit() or len(value) > 12:
        raise web.HTTPNotFound(text=json.dumps({"error": "没有这个人工服务请求。"}), content_type="application/json")
    return int(value)


def _get(request: web.Request):
    row = queue.get(request.app["engine"], _handoff_id(request))
    if row is None:
        raise web.HTTPNotFound(text=json.dumps({"error": "没有这个人工服务请求。"}), content_type="application/json")
    return row


@routes.get(r"/api/handoffs/{id}")
@require_role(*TAKERS)
async def detail(request: web.Request) -> web.Response:
    """One request with the conversation so far and the facts collected, read from Rasa."""
    _seen(request)
    row = _get(request)
    result = {"handoff": _row(row, request["session"].user.id)}
    try:
        tracker = await fetch_tracker(request.app["client"], row.sender_id)
    except RasaError:
        return web.json_response({**result, "transcript": [], "facts": [], "paused": None,
                                  "warning": "暂时无法读取对话记录（智能助手服务不可用），请稍后刷新。"})
    return web.json_response({**result, "transcript": transcript(tracker), "facts": collected_facts(tracker),
                              "paused": bool(tracker.get("paused"))})


def _mine(request: web.Request, row) -> Optional[web.Response]:
    """None when this agent may speak in the conversation (it took it; an admin may step in), else the refusal
    (compare with None: a Response is a mapping, and an empty one is falsy)."""
    session = request["session"]
    if row.status != "taken":
        return error(409, "该对话已结束人工服务。" if row.status == "closed" else "请先接入该对话。")
    if row.taken_by != session.user.id and session.user.role != "admin":
        return error(403, f"该对话已由{row.taken_by_name}接入。")
    return None


@routes.post(r"/api/handoffs/{id}/take")
@require_role(*TAKERS)
async def take(request: web.Request) -> web.Response:
    row = _get(request)
    engine = request.app["engine"]
    if not queue.take(engine, row.id, request["session"].user.id):
        row = queue.get(engine, row.id)
        return error(409, f"该对话已由{row.taken_by_name}接入。" if row.status == "taken" else "该对话已结束人工服务。")
    try:
        await append_events(request.app["client"], row.sender_id, row.channel, [bot_event(TAKEN, "taken", row.channel)])
    except RasaError:
        logger.warning("hand-off %s taken, but the greeting did not reach Rasa", row.id)
    return web.json_response({"handoff": _row(queue.get(engine, row.id), request["session"].user.id)})


@routes.post(r"/api/handoffs/{id}/reply")
@require_role(*TAKERS)
async def reply(request: web.Request) -> web.Response:
    row = _get(request)
    refused = _mine(request, row)
    if refused is not None:
        return refused
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return error(400, "请求内容不是有效的 JSON。")
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return error(400, "请输入要发送给市民的内容。")
    if len(text) > MAX_REPLY:
        return error(400, f"一条消息不超过{MAX_REPLY}个字，请分几条发送。")
    try:
        await append_events(request.app["client"], row.sender_id, row.channel,
                            [bot_event(text.strip(), "agent", row.channel)])
    except RasaError:
        return error(503, "消息未能发出（智能助手服务不可用），请稍后重试。")
    return web.json_response({"sent": True})


async def hand_back(client: aiohttp.ClientSession, engine, row, by: str) -> bool:
    """Close the request and resume the bot, which says so; False when it was already closed."""
    if not queue.close(engine, row.id, by):  # claimed first, so the agent's button and the citizen's words resume once
        return False
    try:
        # action_listen last, as after any bot turn: without it the policies see the next message follow the
        # action that paused the conversation and predict in circles until Rasa's circuit breaker trips.
        await append_events(client, row.sender_id, row.channel,
                            [{"event": "resume"}, bot_event(CLOSED, "closed", row.channel),
                             {"event": "action", "name": "action_listen"}])
    except RasaError:
        queue.reopen(engine, row.id, row.status)  # still paused in Rasa: keep it in the queue, to be handed back again
        raise
    return True


@routes.post(r"/api/handoffs/{id}/close")
@require_role(*TAKERS)
async def close(request: web.Request) -> web.Response:
    """结束人工服务: the conversation goes back to the bot (also for a request nobody took)."""
    row = _get(request)
    if row.status == "taken":
        refused = _mine(request, row)
        if refused is not None:
            return refused
    try:
        if not await hand_back(request.app["client"], request.app["engine"], row, "agent"):
            return error(409, "该对话已结束人工服务。")
    except RasaError:
        return error(503, "智能助手服务暂时不可用，未能结束人工服务，请稍后重试。")
    return web.json_response({"handoff": _row(queue.get(request.app["engine"], row.id), request["session"].user.id)})


# ---- the watcher -----------------------------------------------------------------------------------

def _ends(event: Dict[str, Any]) -> bool:
    """The citizen asks to end the human service: the words (always), or the NLU's end_handoff."""
    intent = (event.get("parse_data") or {}).get("intent") or {}
    return (intent.get("name") == "end_handoff" and float(intent.get("confidence") or 0) >= queue.END_CONFIDENCE) \
        or queue.is_end_request(event.get("text") or "")


def _since_pause(tracker: Dict[str, Any]) -> List[Dict[str, Any]]:
    events = tracker.get("events") or []
    start = max((i for i, e in enumerate(events) if e.get("event") == "pause"), default=len(events))
    return events[start + 1:]


async def watch_once(client: aiohttp.ClientSession, engine) -> None:
    for row in queue.open_requests(engine):
        try:
            tracker = await fetch_tracker(client, row.sender_id)
        except RasaError:
            return  # Rasa is down: try again on the next round
        if not tracker.get("paused"):
            if (db.now() - row.requested_at).total_seconds() > SETTLE_SECONDS:
                queue.close(engine, row.id, "bot")  # restarted, or its session expired: the bot has it again
            continue
        new = [e for e in _since_pause(tracker) if e.get("event") == "user" and (e.get("timestamp") or 0) > row.read_until]
        if not new:
            continue
        latest = max(e.get("timestamp") or 0 for e in new)
        if any(_ends(e) for e in new):
            queue.mark_read(engine, row.id, latest)
            await hand_back(client, engine, row, "citizen")
            continue
        remind = row.status == "queued" and (row.waiting_note_at is None or
                                             (db.now() - row.waiting_note_at).total_seconds() > WAITING_NOTE_SECONDS)
        if remind:
            await append_events(client, row.sender_id, row.channel, [bot_event(WAITING, "queued", row.channel)])
        queue.mark_read(engine, row.id, latest, waiting_note=remind)


async def _watch(app: web.Application) -> None:
    loop = asyncio.get_running_loop()
    while True:
        started = loop.time()
        try:
            await watch_once(app["client"], app["engine"])
        except asyncio.CancelledError:
            raise
        except Exception:  # noqa: BLE001 — one bad round must not stop the watching
            logger.exception("hand-off watcher round failed")
        # Each open request costs a tracker read in Rasa: with a long queue, rounds space out so the
        # watcher never takes more than about a fifth of the time (a second apart while the queue is short).
        await asyncio.sleep(max(WATCH_SECONDS, 4 * (loop.time() - started)))


async def watcher(app: web.Application):
    """cleanup_ctx: the watcher runs as long as the application (after the Rasa client exists)."""
    task = asyncio.ensure_future(_watch(app))
    yield
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass


def setup(app: web.Application) -> None:
    """Called by app.create_app (after the Rasa client's cleanup_ctx, which the watcher uses)."""
    app.add_routes(routes)
    if WATCH:
        app.cleanup_ctx.append(watcher)
