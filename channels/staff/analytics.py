"""The analytics page, the review inbox and the conversations browser of the staff application: their
pages, JSON API, CSV and YAML exports and script files, for the roles `reviewer` and `admin`.

Every number comes from analytics_store (SQL over the tracker store); every text shown or exported is
redacted again (bot.text.redact), and log lines carry counts, never a message or a conversation id.
"""
from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import logging
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web
from sqlalchemy.engine import Engine

from policies_kb.loader import kb
from policies_kb.schema import ASPECT_LABELS, ASPECTS

from . import analytics_store as store
from . import review as review_store
from .security import require_role

logger = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
ECHARTS = Path(__file__).parent / "node_modules" / "echarts" / "dist" / "echarts.min.js"
FILES = {"analytics.js": STATIC / "analytics.js", "review.js": STATIC / "review.js",
         "conversations.js": STATIC / "conversations.js", "common.js": STATIC / "analytics_common.js",
         "analytics.css": STATIC / "analytics.css", "echarts.min.js": ECHARTS}
REVIEW_ROLES = ("reviewer", "admin")
MAX_DAYS = 366
DEFAULT_DAYS = 7
MAX_PAGE = 200
CONTEXT_MESSAGES = 4
CHANNEL_LABELS = {"rest": "REST 接口", "socketio": "网页聊天", "wechat": "微信公众号"}
FLAG_LABELS = {"out_of_scope": "超出范围", "unclear": "未能理解", "clarify": "需要澄清", "low_confidence": "置信度低"}
OUTCOME_LABELS = {"answered": "已解答", "out_of_scope": "超出范围", "unclear": "未能理解", "clarify": "需要澄清",
                  "eligibility": "完成资格判断", "abandoned": "资格问答中断", "handoff": "转人工"}

routes = web.RouteTableDef()


def _bad(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json")


def _not_found(message: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(text=json.dumps({"error": message}, ensure_ascii=False), content_type="application/json")


def today() -> dt.date:
    return dt.datetime.now(store.CHINA).date()


def _date(value: Optional[str], default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise _bad("日期格式应为 YYYY-MM-DD。")


def _filter(request: web.Request) -> store.Filter:
    last = _date(request.query.get("to"), today())
    first = _date(request.query.get("from"), last - dt.timedelta(days=DEFAULT_DAYS - 1))
    if first > last:
        raise _bad("开始日期不能晚于结束日期。")
    if (last - first).days >= MAX_DAYS:
        raise _bad(f"时间范围最长{MAX_DAYS}天。")
    channel = request.query.get("channel") or None
    if channel is not None and len(channel) > 64:
        raise _bad("渠道名称过长。")
    return store.Filter(first, last, channel)


def _int(request: web.Request, name: str, default: int, maximum: int) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError:
        raise _bad(f"{name} 应为整数。")
    return max(0, min(value, maximum))


def _choice(request: web.Request, name: str, allowed) -> Optional[str]:
    value = request.query.get(name) or None
    if value is not None and value not in allowed:
        raise _bad(f"{name} 的取值无效。")
    return value


async def _db(request: web.Request, work: Callable[[Any], Any], write: bool = False) -> Any:
    """Bring the summary table up to date, then run `work(connection)`, off the event loop."""
    engine: Engine = request.app["engine"]

    def run():
        store.refresh(engine)
        with (engine.begin() if write else engine.connect()) as connection:
            return work(connection)
    return await asyncio.get_running_loop().run_in_executor(None, run)


def _measure_name(measure: Optional[str]) -> str:
    found = kb().find_measure(measure) if measure else None
    return f"{found.number}. {found.name}" if found else (measure or "")


def _fact_label(fact: Optional[str]) -> str:
    found = kb().facts.get(fact or "")
    return found.label if found else (fact or "")


def labelled(summary: Dict[str, Any]) -> Dict[str, Any]:
    """The summary with the Chinese names the page and the CSV show."""
    for row in summary["measures"]:
        row["name"] = _measure_name(row["measure"])
    for row in summary["aspects"]:
        row["label"] = ASPECT_LABELS.get(row["aspect"], row["aspect"])
    for row in summary["checks"]["dropoff"]:
        row["label"] = _fact_label(row["fact"])
        row["question"] = kb().facts[row["fact"]].question if row["fact"] in kb().facts else ""
    return summary


# ---- pages and files -----------------------------------------------------------------------------------

def _page(name: str) -> web.FileResponse:
    return web.FileResponse(STATIC / name)


@routes.get("/analytics")
@require_role(*REVIEW_ROLES)
async def analytics_page(request: web.Request) -> web.StreamResponse:
    return _page("analytics.html")


@routes.get("/review")
@require_role(*REVIEW_ROLES)
async def review_page(request: web.Request) -> web.StreamResponse:
    return _page("review.html")


@routes.get("/conversations")
@require_role(*REVIEW_ROLES)
async def conversations_page(request: web.Request) -> web.StreamResponse:
    return _page("conversations.html")


@routes.get("/static/analytics/{name}")
@require_role(*REVIEW_ROLES)
async def analytics_file(request: web.Request) -> web.StreamResponse:
    path = FILES.get(request.match_info["name"])
    if path is None or not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(path)


# ---- analytics -----------------------------------------------------------------------------------------

@routes.get("/api/analytics")
@require_role(*REVIEW_ROLES)
async def analytics(request: web.Request) -> web.Response:
    """Every number of the analytics page for ?from=YYYY-MM-DD&to=…&channel=…"""
    f = _filter(request)

    def work(connection):
        return {**labelled(store.summary(connection, f)),
                "channels": [{"channel": c, "label": CHANNEL_LABELS.get(c, c)} for c in store.channels(connection)]}
    return web.json_response(await _db(request, work))


def summary_csv(summary: Dict[str, Any]) -> str:
    """The analytics numbers as one CSV: a section column, then the row's key, label, count and rate."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    cell = review_store.csv_cell
    writer.writerow(["section", "key", "label", "count", "rate"])
    writer.writerow(["period", summary["from"], f"{summary['from']} 至 {summary['to']}", "", ""])
    writer.writerow(["channel", summary["channel"] or "all", CHANNEL_LABELS.get(summary["channel"] or "", "全部渠道"), "", ""])
    for day in summary["days"]:
        writer.writerow(["conversations_per_day", day["day"], "对话数", day["conversations"], ""])
        writer.writerow(["messages_per_day", day["day"], "消息数", day["messages"], ""])
    for key, value in summary["totals"].items():
        writer.writerow(["totals", key, {"conversations": "对话总数", "messages": "消息总数"}[key], value, ""])
    labels = {"out_of_scope": "超出范围", "unclear": "未能理解", "clarify": "需要澄清", "low_confidence": "置信度低",
              "answered": "已解答"}
    for key, value in summary["rates"].items():
        writer.writerow(["rates", key, labels[key], value["messages"], value["rate"]])
    for row in summary["measures"]:
        writer.writerow(["measures", row["measure"], cell(row["name"]), row["messages"], ""])
    for row in summary["aspects"]:
        writer.writerow(["aspects", row["aspect"], row["label"], row["messages"], ""])
    checks = summary["checks"]
    writer.writerow(["checks", "started", "资格问答开始", checks["started"], ""])
    writer.writerow(["checks", "finished", "资格问答完成", checks["finished"], ""])
    writer.writerow(["checks", "stopped", "用户主动结束", checks["stopped"], ""])
    for row in checks["dropoff"]:
        writer.writerow(["dropoff", row["fact"], cell(row["label"]), row["conversations"], ""])
    writer.writerow(["handoffs", "paused", "转人工（机器人暂停）", summary["handoffs"]["paused"], ""])
    writer.writerow(["handoffs", "requested", "要求人工服务的消息", summary["handoffs"]["requested"], ""])
    return out.getvalue()


def _csv_response(text: str, name: str) -> web.Response:
    return web.Response(text=text, content_type="text/csv", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


@routes.get("/api/analytics.csv")
@require_role(*REVIEW_ROLES)
async def analytics_csv(request: web.Request) -> web.Response:
    f = _filter(request)
    summary = await _db(request, lambda connection: labelled(store.summary(connection, f)))
    return _csv_response(summary_csv(summary), f"analytics_{f.first}_{f.last}.csv")


def _with_reviews(connection, listing: Dict[str, Any]) -> Dict[str, Any]:
    done = review_store.by_event(connection, [m["id"] for m in listing["messages"]])
    for message in listing["messages"]:
        message["flag_label"] = FLAG_LABELS.get(message["flag"], message["flag"])
        message["measure_name"] = _measure_name(message["measure"]) if message["measure"] else None
        message["channel_label"] = CHANNEL_LABELS.get(message["channel"], message["channel"])
        message["sender"] = store.redact(message.pop("sender_id"))
        message["review"] = review_store.review_dict(done[message["id"]]) if message["id"] in done else None
    return listing


@routes.get("/api/analytics/messages")
@require_role(*REVIEW_ROLES)
async def flagged_messages(request: web.Request) -> web.Response:
    """Low-confidence, unclear, out-of-scope and clarified messages (?flag=…&status=open|all&limit&offset)."""
    f = _filter(request)
    flag = _choice(request, "flag", store.FLAGS)
    status = _choice(request, "status", ("open", "all")) or "all"
    limit, offset = _int(request, "limit", 50, MAX_PAGE), _int(request, "offset", 0, 10 ** 9)
    return web.json_response(await _db(request, lambda c: _with_reviews(
        c, store.flagged(c, f, flag, limit, offset, exclude_reviewed=status == "open"))))


@routes.get("/api/analytics/messages.csv")
@require_role(*REVIEW_ROLES)
async def flagged_csv(request: web.Request) -> web.Response:
    f = _filter(request)
    flag = _choice(request, "flag", store.FLAGS)
    listing = await _db(request, lambda c: _with_reviews(c, store.flagged(c, f, flag, 10_000, 0)))
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    columns = ("id", "time", "channel", "sender", "text", "flag", "intent", "confidence", "measure", "aspect")
    writer.writerow(columns + ("review_verdict", "review_intent", "review_measure", "review_aspect"))
    for message in listing["messages"]:
        review = message["review"] or {}
        writer.writerow([review_store.csv_cell(message[c]) for c in columns]
                        + [review_store.csv_cell(review.get(k)) for k in ("verdict", "intent", "measure", "aspect")])
    return _csv_response(out.getvalue(), f"messages_{f.first}_{f.last}.csv")


# ---- review inbox --------------------------------------------------------------------------------------

@routes.get("/api/review/options")
@require_role(*REVIEW_ROLES)
async def review_options(request: web.Request) -> web.Response:
    return web.json_response({
        "intents": [{"intent": i, "label": (_measure_name(review_store.measure_of_intent(i))
                                            if review_store.measure_of_intent(i) else i)}
                    for i in review_store.intents()],
        "measures": [{"measure": m.id, "name": f"{m.number}. {m.name}"} for m in kb().measures],
        "aspects": [{"aspect": a, "label": ASPECT_LABELS[a]} for a in ASPECTS],
        "flags": [{"flag": k, "label": v} for k, v in FLAG_LABELS.items()],
        "verdicts": [{"verdict": k, "label": v} for k, v in review_store.VERDICT_LABELS.items()],
    })


def _event_id(request: web.Request) -> int:
    try:
        return int(request.match_info["id"])
    except ValueError:
        raise _not_found("没有这条消息。")


@routes.get("/api/review/items/{id}")
@require_role(*REVIEW_ROLES)
async def review_item(request: web.Request) -> web.Response:
    """One message, its conversation around it (the messages before and after) and its review."""
    event_id = _event_id(request)

    def work(connection):
        message = store.message(connection, event_id)
        if message is None:
            return None
        listing = _with_reviews(connection, {"messages": [dict(message)]})
        context = store.transcript(connection, message["sender_id"], around=event_id, context=CONTEXT_MESSAGES)
        return {"message": listing["messages"][0], "context": context}
    found = await _db(request, work)
    if found is None:
        raise _not_found("没有这条消息。")
    return web.json_response(found)


async def _json_body(request: web.Request) -> Dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _bad("请求内容不是有效的 JSON。")
    if not isinstance(body, dict):
        raise _bad("请求内容应为 JSON 对象。")
    return body


@routes.post("/api/review/items/{id}")
@require_role(*REVIEW_ROLES)
async def review_save(request: web.Request) -> web.Response:
    """{verdict: confirm | correct | out_of_scope, intent?, measure?, aspect?} for one message."""
    event_id = _event_id(request)
    body = await _json_body(request)
    reviewer = request["session"].user.name
    try:
        saved = await _db(request, lambda c: review_store.save(
            c, event_id, body.get("verdict"), body.get("intent"), body.get("measure"), body.get("aspect"), reviewer),
            write=True)
    except review_store.ReviewError as problem:
        raise _bad(str(problem))
    except LookupError:
        raise _not_found("没有这条消息。")
    logger.info("review saved: verdict %s by a %s", saved["verdict"], request["session"].user.role)
    return web.json_response({"review": {k: saved[k] for k in ("event_id", "verdict", "intent", "measure", "aspect",
                                                               "reviewer", "reviewed_at")}})


@routes.get("/api/review/reviewed")
@require_role(*REVIEW_ROLES)
async def review_list(request: web.Request) -> web.Response:
    limit, offset = _int(request, "limit", 50, MAX_PAGE), _int(request, "offset", 0, 10 ** 9)

    def work(connection):
        return [{**review_store.review_dict(row), "text": store.redact(row.text), "original_intent": row.original_intent,
                 "flag": row.flag} for row in review_store.reviewed(connection, limit, offset)]
    return web.json_response({"reviews": await _db(request, work)})


@routes.get("/api/review/export.yml")
@require_role(*REVIEW_ROLES)
async def review_yaml(request: web.Request) -> web.Response:
    text = await _db(request, review_store.export_yaml)
    logger.info("review export: NLU YAML, %d lines", text.count("\n"))
    stamp = today().isoformat()
    return web.Response(text=text, content_type="application/x-yaml", charset="utf-8",
                        headers={"Content-Disposition": f'attachment; filename="reviewed_nlu_{stamp}.yml"'})


@routes.get("/api/review/export.csv")
@require_role(*REVIEW_ROLES)
async def review_csv(request: web.Request) -> web.Response:
    text = await _db(request, review_store.export_csv)
    logger.info("review export: CSV, %d rows", text.count("\n") - 1)
    return _csv_response(text, f"reviews_{today().isoformat()}.csv")


# ---- conversations -------------------------------------------------------------------------------------

@routes.get("/api/conversations")
@require_role(*REVIEW_ROLES)
async def conversation_list(request: web.Request) -> web.Response:
    """Conversations (?from&to&channel&measure&outcome&limit&offset), newest first; `id` opens one."""
    f = _filter(request)
    measure = request.query.get("measure") or None
    if measure is not None:
        found = kb().find_measure(measure)
        if found is None:
            raise _bad("没有这项政策。")
        measure = found.id
    outcome = _choice(request, "outcome", store.OUTCOME_FILTERS)
    limit, offset = _int(request, "limit", 50, MAX_PAGE), _int(request, "offset", 0, 10 ** 9)

    def work(connection):
        listing = store.conversations(connection, f, measure, outcome, limit, offset)
        for row in listing["conversations"]:
            row["id"] = store.conversation_key(connection, row["sender_id"])
            row["sender"] = store.redact(row.pop("sender_id"))
            row["channel_label"] = CHANNEL_LABELS.get(row["channel"], row["channel"])
            row["measure_names"] = [_measure_name(m) for m in row["measures"]]
        return listing
    result = await _db(request, work)
    result["outcomes"] = [{"outcome": k, "label": v} for k, v in OUTCOME_LABELS.items()]
    return web.json_response(result)


@routes.get("/api/conversations/{id}")
@require_role(*REVIEW_ROLES)
async def conversation(request: web.Request) -> web.Response:
    """One conversation, redacted; `id` is the number the list gives (never the sender id itself)."""
    key = _event_id(request)

    def work(connection):
        sender = store.sender_of(connection, key)
        if sender is None:
            return None
        return {"id": key, "sender": store.redact(sender), "events": store.transcript(connection, sender)}
    found = await _db(request, work)
    if found is None:
        raise _not_found("没有这段对话。")
    return web.json_response(found)


# ---- wiring --------------------------------------------------------------------------------------------

async def _catch_up(app: web.Application) -> None:
    """Create the tables and indexes and summarise what the tracker store already holds, in the
    background: the first page waits only for what is left."""
    engine: Engine = app["engine"]
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, store.create_indexes, engine)

    def first_refresh():
        try:
            looked = store.refresh(engine)
            logger.info("analytics: %d tracker events summarised", looked)
        except Exception:  # noqa: BLE001 — the pages retry and report; the app keeps serving the panel
            logger.exception("analytics: summarising the tracker store failed")
    app["analytics_catch_up"] = loop.run_in_executor(None, first_refresh)


def setup(app: web.Application) -> None:
    """Add the analytics routes and start-up work to the staff application (app.py calls this)."""
    app.on_startup.append(_catch_up)
    app.add_routes(routes)


__all__: List[str] = ["routes", "setup"]
