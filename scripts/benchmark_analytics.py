"""How fast the staff application's analytics answer on a large tracker store.

Generates a tracker store of --events events (1,000,000 by default) shaped like the ones the bot writes
(sessions, user messages with parse data and channel, bot replies with the README's payloads, slots,
actions, forms, pauses) over --days days, into SQLite (var/benchmark_analytics.db) and, with
--postgres URL, into that PostgreSQL database too. Then, for each, through the real aiohttp application
over HTTP with a reviewer's session: the first summarising of the store (analytics_events, once), the
catch-up after a new conversation, and every analytics, review and conversations API, each called
--repeat times (median and slowest printed).

  .venv/bin/python scripts/benchmark_analytics.py [--events 1000000] [--postgres postgresql://postgres@127.0.0.1/policybot_analytics]
"""
from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SQLALCHEMY_SILENCE_UBER_WARNING", "1")

import sqlalchemy as sa  # noqa: E402

from policies_kb.loader import kb  # noqa: E402

ASPECTS = ["overview", "conditions", "amount", "process", "materials", "deadline", "office", "online_entry"]
CHANNELS = [("socketio", 5), ("rest", 2), ("wechat", 3)]
FACTS = ["org_type", "insured_employees", "layoffs_last_year", "enterprise_size", "industry", "contribution_months"]
META = {"model_id": "2a9778e36be142a8b0835183bb05500f", "assistant_id": "wenjingji-policy-assistant"}
SAYINGS = ["稳岗返还的条件是什么", "失业金怎么领", "我们公司能申请吗", "公积金怎么提取", "啊这个", "扩岗补助多少钱",
           "留工补助还有吗", "我要找人工", "创业担保贷款怎么办", "手机13812345678 帮我查下"]


class Writer:
    """Builds the rows of one conversation in order (id assigned by the database)."""

    def __init__(self, sender: str, start: float):
        self.sender, self.clock, self.rows = sender, start, []

    def add(self, type_name: str, data: Dict[str, Any], intent: str = None, action: str = None) -> None:
        self.clock += random.uniform(0.001, 0.05)
        event = {"event": type_name, "timestamp": self.clock, "metadata": META, **data}
        self.rows.append({"sender_id": self.sender, "type_name": type_name, "timestamp": self.clock,
                          "intent_name": intent, "action_name": action, "data": json.dumps(event)})

    def slot(self, name: str, value: Any) -> None:
        self.add("slot", {"name": name, "value": value}, action=name)

    def action(self, name: str) -> None:
        self.add("action", {"name": name, "policy": "RulePolicy", "confidence": 1.0}, action=name)

    def user(self, text: str, intent: str, confidence: float, channel: str) -> None:
        self.clock += random.uniform(3, 40)  # the person types
        self.add("user", {"text": text, "parse_data": {"intent": {"name": intent, "confidence": confidence},
                                                      "entities": [], "text": text, "message_id": "x",
                                                      "intent_ranking": [{"name": intent, "confidence": confidence}]},
                          "input_channel": channel, "message_id": "x"}, intent=intent)
        self.add("user_featurization", {"use_text_for_featurization": False})
        self.action("action_respond")

    def bot(self, text: str, custom: Dict[str, Any] = None) -> None:
        self.add("bot", {"text": text, "data": {"elements": None, "quick_replies": None, "buttons": None,
                                                "attachment": None, "image": None, "custom": custom}})

    def listen(self) -> None:
        self.action("action_listen")


def conversation(sender: str, start: float, measures: List[str]) -> List[Dict[str, Any]]:
    channel = random.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    w = Writer(sender, start)
    w.action("action_session_start")
    w.add("session_started", {})
    w.listen()
    for _ in range(random.randint(1, 6)):
        kind = random.choices(["answer", "oos", "unclear", "clarify", "check", "handoff"], [55, 10, 7, 10, 14, 4])[0]
        measure, aspect = random.choice(measures), random.choice(ASPECTS)
        if kind == "answer":
            w.user(random.choice(SAYINGS), f"ask_{measure}", random.uniform(0.35, 1.0), channel)
            w.bot("【答复】……", {"measure": measure, "aspect": aspect, "sources": [{"id": "body:6", "label": "通知正文第6项"}],
                                "in_force": True, "service_entries": [], "as_of": "2022-09-01"})
            for name, value in (("measure", measure), ("aspect", aspect), ("clarify_candidates", None)):
                w.slot(name, value)
        elif kind == "oos":
            w.user("公积金怎么提取", "out_of_scope", random.uniform(0.6, 1.0), channel)
            w.bot("抱歉，这个问题不在我能解答的范围内。", {"out_of_scope": True})
        elif kind == "unclear":
            w.user("啊这个", "nlu_fallback", random.uniform(0.1, 0.3), channel)
            w.bot("抱歉，我没有理解您的问题。", {"unclear": True})
        elif kind == "clarify":
            w.user("补贴怎么申请", "ask_topic", random.uniform(0.3, 0.9), channel)
            w.bot("您问的是哪一项？", {"clarify": random.sample(measures, 3), "aspect": aspect})
            w.slot("clarify_candidates", random.sample(measures, 3))
        elif kind == "check":
            w.user("我们公司能申请吗", f"ask_{measure}", random.uniform(0.6, 1.0), channel)
            w.add("active_loop", {"name": "eligibility_form"}, action="eligibility_form")
            w.slot("requested_slot", "fact_answer")
            asked = random.randint(1, len(FACTS))
            for index, fact in enumerate(FACTS[:asked]):
                w.bot("请问……？", {"asking": {"fact": fact, "type": "int", "for": measure}})
                w.slot("pending_fact", fact)
                w.listen()
                if index < asked - 1 or random.random() < 0.6:
                    w.user("30个人", "inform", random.uniform(0.5, 1.0), channel)
                    w.slot("facts", {fact: 30})
            if random.random() < 0.6:
                w.add("active_loop", {"name": None}, action=None)
                w.bot("按通知所列条件，您符合……", {"eligibility": {"measure": measure, "eligible": True}})
        else:
            w.user("我要找人工", "human_handoff", random.uniform(0.7, 1.0), channel)
            w.bot("如需人工服务，请拨打12333。", {"smalltalk": "human_handoff"})
            if random.random() < 0.7:
                w.add("pause", {})
        w.listen()
    return w.rows


def generate(engine: sa.engine.Engine, total: int, days: int, seed: int = 20221231) -> Tuple[int, float]:
    from channels.staff.analytics_store import rasa_events

    random.seed(seed)
    measures = [m.id for m in kb().measures]
    rasa_events.metadata.create_all(engine)
    end = time.time()
    span = days * 86400
    started = time.perf_counter()
    written, batch, number = 0, [], 0
    with engine.begin() as connection:
        while written < total:
            number += 1
            rows = conversation(f"bench-{number:07d}", end - span + random.random() * span, measures)
            rows = rows[: total - written]
            batch += rows
            written += len(rows)
            if len(batch) >= 20_000:
                connection.execute(rasa_events.insert(), batch)
                batch = []
        if batch:
            connection.execute(rasa_events.insert(), batch)
    return number, time.perf_counter() - started


async def measure_http(engine: sa.engine.Engine, repeat: int, days: int) -> List[Tuple[str, float, float]]:
    from aiohttp.test_utils import TestClient, TestServer

    from channels.staff import analytics_store
    from channels.staff.app import create_app
    from channels.staff.security import add_user

    try:
        add_user(engine, "bench-reviewer", "bench-reviewer-password", "reviewer")
    except Exception:  # already there from an earlier run
        pass
    client = TestClient(TestServer(create_app(engine=engine)))
    await client.start_server()
    results = []
    try:
        await client.app["analytics_catch_up"]
        token = (await (await client.get("/api/login")).json())["csrf"]
        response = await client.post("/api/login", json={"name": "bench-reviewer", "password": "bench-reviewer-password"},
                                     headers={"X-CSRF-Token": token})
        assert response.status == 200, await response.text()
        today = dt.datetime.now(analytics_store.CHINA).date()
        week = f"from={today - dt.timedelta(days=6)}&to={today}"
        whole = f"from={today - dt.timedelta(days=days)}&to={today}"
        listing = await (await client.get(f"/api/analytics/messages?{whole}&limit=1")).json()
        first = listing["messages"][0]["id"]
        conversations = await (await client.get(f"/api/conversations?{whole}&limit=1")).json()
        key = conversations["conversations"][0]["id"]
        paths = [
            ("analytics, last 7 days", f"/api/analytics?{week}"),
            (f"analytics, all {days} days", f"/api/analytics?{whole}"),
            (f"analytics, {days} days, channel wechat", f"/api/analytics?{whole}&channel=wechat"),
            (f"analytics CSV, {days} days", f"/api/analytics.csv?{whole}"),
            (f"flagged messages, {days} days (50)", f"/api/analytics/messages?{whole}&limit=50"),
            ("review inbox, open, low confidence", f"/api/analytics/messages?{whole}&status=open&flag=low_confidence&limit=25"),
            ("review item with context", f"/api/review/items/{first}"),
            ("conversations, 7 days", f"/api/conversations?{week}&limit=25"),
            (f"conversations, {days} days, measure + abandoned",
             f"/api/conversations?{whole}&measure=job_retention_refund&outcome=abandoned&limit=25"),
            ("one conversation", f"/api/conversations/{key}"),
            ("analytics page (HTML)", "/analytics"),
        ]
        for label, path in paths:
            timings = []
            for _ in range(repeat):
                begun = time.perf_counter()
                response = await client.get(path)
                await response.read()
                assert response.status == 200, (path, response.status)
                timings.append(time.perf_counter() - begun)
            results.append((label, statistics.median(timings), max(timings)))
    finally:
        await client.close()
    return results


def run(url: str, events: int, days: int, repeat: int) -> None:
    from channels.staff import analytics_store, db

    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:  # a fresh store each run
        for table in ("analytics_events", "analytics_state", "staff_reviews", "events"):
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {table}"))
    conversations, seconds = generate(engine, events, days)
    print(f"  generated {events:,} events in {conversations:,} conversations over {days} days: {seconds:.1f} s")
    db.metadata.create_all(engine)
    begun = time.perf_counter()
    analytics_store.create_indexes(engine)
    print(f"  indexes on events: {time.perf_counter() - begun:.1f} s")
    begun = time.perf_counter()
    analytics_store.refresh(engine, settle_seconds=0)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT COUNT(*) FROM analytics_events")).scalar()
    print(f"  first summarising (once per store, in the background at start-up): {time.perf_counter() - begun:.1f} s, "
          f"{rows:,} rows")
    with engine.begin() as connection:
        connection.execute(analytics_store.rasa_events.insert(),
                           conversation("bench-new", time.time() - 60, [m.id for m in kb().measures]))
    begun = time.perf_counter()
    analytics_store.refresh(engine, settle_seconds=0)
    print(f"  catch-up after one new conversation: {(time.perf_counter() - begun) * 1000:.0f} ms")
    results = asyncio.run(measure_http(engine, repeat, days))
    print(f"  HTTP (reviewer session, {repeat} calls each; load average {os.getloadavg()[0]:.1f})    median    slowest")
    for label, median, slowest in results:
        print(f"    {label:<48} {median * 1000:6.0f} ms {slowest * 1000:6.0f} ms")
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", default=f"sqlite:///{ROOT / 'var' / 'benchmark_analytics.db'}")
    parser.add_argument("--postgres", default="", help="a PostgreSQL URL to run against as well")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    # The machine may be shared: the load average says how much of it the numbers had.
    print(f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    if not args.skip_sqlite:
        (ROOT / "var").mkdir(exist_ok=True)
        print(f"SQLite ({sa.__version__=}): {args.sqlite}")
        run(args.sqlite, args.events, args.days, args.repeat)
    if args.postgres:
        print(f"PostgreSQL: {args.postgres}")
        run(args.postgres, args.events, args.days, args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
