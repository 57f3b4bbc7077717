"""What the analytics, the review inbox and the conversations browser read: Rasa's own SQL tracker store
(the `events` table, DATABASE_URL; SQLite or PostgreSQL), summarised in SQL.

Each event's JSON is parsed once, by the database, into one narrow row of `analytics_events` (only the
events the pages count: user messages, bot replies, forms starting, conversations paused): the day
(China time), the channel, the intent and its confidence, the reply's measure, aspect and kind
(answer / clarify / out_of_scope / unclear / asking / eligibility / …; a clarifying question is
either kind the bot asks: `clarify` with candidate measures, or `which_measure` with none), the form and the fact asked,
and the user message each reply answers. `refresh()` appends the events written since the last call
with one INSERT … SELECT (json_extract on SQLite, json #>> on PostgreSQL), so no event is ever loaded
into Python; every page is then a GROUP BY on indexed columns of the narrow table.
The message text is not copied: the few rows a list shows are read from `events` and redacted again.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from bot.text import redact
from bot.tracker_store import redact_all

logger = logging.getLogger(__name__)

# Days are counted in China time (UTC+8 all year: no daylight saving).
TZ_OFFSET = 8 * 3600
CHINA = dt.timezone(dt.timedelta(seconds=TZ_OFFSET))
# Below this classifier confidence a message is listed for review even when it was answered: the
# router itself stops trusting the classifier's measure there (actions/resolution.py CONFIDENT).
LOW_CONFIDENCE = 0.55
BATCH = 100_000            # events per INSERT … SELECT when catching up
ANALYZE_AFTER = 20_000     # events summarised in one refresh after which the table's statistics are renewed
FORMS = ("eligibility_form", "checkup_form")
FLAGS = ("out_of_scope", "unclear", "clarify", "low_confidence")   # highest priority first
OUTCOMES = ("answer", "clarify", "out_of_scope", "unclear", "asking", "eligibility", "checkup", "stopped",
            "handoff", "unavailable", "other")

metadata = sa.MetaData()

analytics_events = sa.Table(
    "analytics_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),   # = events.id
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("day", sa.Integer, nullable=False),        # days since 1970-01-01, China time
    sa.Column("kind", sa.String(16), nullable=False),    # user / bot / form / pause
    sa.Column("channel", sa.String(64)),
    sa.Column("intent", sa.String(255)),
    sa.Column("confidence", sa.Float),
    sa.Column("outcome", sa.String(16)),                 # bot rows: see OUTCOMES
    sa.Column("measure", sa.String(64)),                 # bot rows: the payload's; user rows: the answer's
    sa.Column("aspect", sa.String(32)),
    sa.Column("fact", sa.String(64)),                    # the fact an eligibility question asked
    sa.Column("form", sa.String(64)),                    # form rows: which form started
    sa.Column("reply_to", sa.Integer),                   # non-user rows: the user message before them
    sa.Column("flag", sa.String(16)),                    # user rows: why a reviewer should see it (FLAGS)
    # Covering indexes: each page's GROUP BY reads one index and never the table.
    sa.Index("ix_analytics_events_users", "kind", "day", "channel", "sender_id", "flag", "intent", "measure",
             "aspect"),
    sa.Index("ix_analytics_events_replies", "kind", "day", "outcome", "channel", "reply_to", "measure", "aspect"),
    sa.Index("ix_analytics_events_outcome", "outcome", "day", "channel", "sender_id", "id"),
    sa.Index("ix_analytics_events_sender_outcome", "sender_id", "outcome", "id"),
    sa.Index("ix_analytics_events_reply_to", "reply_to"),
)

analytics_state = sa.Table(
    "analytics_state", metadata,
    sa.Column("name", sa.String(32), primary_key=True),
    sa.Column("last_event_id", sa.Integer, nullable=False),
)

# Indexes on Rasa's table: a conversation's events in order (the browser, the reply_to lookup).
EVENT_INDEXES = (
    ("ix_events_sender_type_id", "sender_id, type_name, id"),
    ("ix_events_sender_timestamp", "sender_id, timestamp"),
    ("ix_events_type_name", "type_name"),
    ("ix_events_intent_name", "intent_name"),
)


# ---- the JSON, read by the database ---------------------------------------------------------------

def _json(dialect: str, path: Sequence[str]) -> str:
    """SQL for one value of the event's JSON as text (NULL when absent or JSON null). On PostgreSQL the
    JSON is parsed once per event into `x.j` (jsonb, see _insert_sql): each `json` operator would parse
    the text again."""
    if dialect == "postgresql":
        return f"(x.j #>> '{{{','.join(path)}}}')"
    return "json_extract(e.data, '$." + ".".join(path) + "')"


def _day_sql(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"CAST(floor(({column} + {TZ_OFFSET}) / 86400.0) AS integer)"
    return f"CAST(({column} + {TZ_OFFSET}) / 86400 AS integer)"


def _insert_sql(dialect: str) -> str:
    j = lambda *path: _json(dialect, path)  # noqa: E731
    custom = lambda *path: j("data", "custom", *path)  # noqa: E731
    outcome = f"""CASE
        WHEN {custom('eligibility')} IS NOT NULL THEN 'eligibility'
        WHEN {custom('checkup')} IS NOT NULL THEN 'checkup'
        WHEN {custom('asking', 'fact')} IS NOT NULL THEN 'asking'
        WHEN {custom('clarify')} IS NOT NULL OR {custom('which_measure')} IS NOT NULL THEN 'clarify'
        WHEN {custom('out_of_scope')} IS NOT NULL THEN 'out_of_scope'
        WHEN {custom('unclear')} IS NOT NULL THEN 'unclear'
        WHEN {custom('measure')} IS NOT NULL THEN 'answer'
        WHEN {custom('smalltalk')} = 'human_handoff' THEN 'handoff'
        WHEN {custom('stopped')} IS NOT NULL THEN 'stopped'
        WHEN {custom('unavailable')} IS NOT NULL THEN 'unavailable'
        ELSE 'other' END"""
    asking_for = custom("asking", "for")
    measure = (f"COALESCE({custom('measure')}, {custom('eligibility', 'measure')}, "
               f"CASE WHEN {asking_for} <> 'checkup' THEN {asking_for} END)")
    confidence = j("parse_data", "intent", "confidence")
    confidence = f"CAST({confidence} AS double precision)" if dialect == "postgresql" else f"CAST({confidence} AS real)"
    parsed = " CROSS JOIN LATERAL (SELECT CAST(e.data AS jsonb) AS j) x" if dialect == "postgresql" else ""
    previous_user = ("(SELECT MAX(u.id) FROM events u WHERE u.sender_id = e.sender_id AND u.type_name = 'user' "
                     "AND u.id < e.id)")
    return f"""
INSERT INTO analytics_events (id, sender_id, ts, day, kind, channel, intent, confidence, outcome, measure,
                              aspect, fact, form, reply_to)
SELECT e.id, e.sender_id, e.timestamp, {_day_sql(dialect, 'e.timestamp')},
       CASE e.type_name WHEN 'active_loop' THEN 'form' ELSE e.type_name END,
       CASE WHEN e.type_name = 'user' THEN {j('input_channel')} END,
       CASE WHEN e.type_name = 'user' THEN e.intent_name END,
       CASE WHEN e.type_name = 'user' THEN {confidence} END,
       CASE WHEN e.type_name = 'bot' THEN {outcome} END,
       CASE WHEN e.type_name = 'bot' THEN {measure} END,
       CASE WHEN e.type_name = 'bot' THEN {custom('aspect')} END,
       CASE WHEN e.type_name = 'bot' THEN {custom('asking', 'fact')} END,
       CASE WHEN e.type_name = 'active_loop' THEN {j('name')} END,
       CASE WHEN e.type_name <> 'user' THEN {previous_user} END
FROM (SELECT id, sender_id, type_name, timestamp, intent_name, data FROM events
      WHERE id > :after AND id <= :upto AND timestamp IS NOT NULL
        AND type_name IN ('user', 'bot', 'pause', 'active_loop')) e{parsed}
WHERE e.type_name <> 'active_loop' OR {j('name')} IN ('eligibility_form', 'checkup_form')
"""


_UPDATES = [
    # A reply's channel is its conversation's: the channel of the user message it answers.
    """UPDATE analytics_events SET channel = u.channel FROM analytics_events u
       WHERE u.id = analytics_events.reply_to AND analytics_events.id > :after AND analytics_events.id <= :upto
         AND analytics_events.kind <> 'user'""",
    # Why a message needs a reviewer, lowest priority first (a later UPDATE overrides an earlier one).
    f"""UPDATE analytics_events SET flag = 'low_confidence'
        WHERE id > :after AND id <= :upto AND kind = 'user' AND flag IS NULL AND intent <> 'choose_measure'
          AND (intent = 'nlu_fallback' OR confidence < {LOW_CONFIDENCE})""",
] + [
    f"""UPDATE analytics_events SET flag = '{flag}'
        WHERE id IN (SELECT reply_to FROM analytics_events WHERE id > :after AND id <= :upto AND outcome = '{flag}')"""
    for flag in ("clarify", "unclear", "out_of_scope")
] + [
    # A user message carries the measure and aspect of the first answer it got (the page counts user rows).
    # UPDATE … FROM a grouped subquery (PostgreSQL; SQLite since 3.33): a correlated subquery per row made
    # PostgreSQL scan the new batch once per message before it had statistics.
    """UPDATE analytics_events SET measure = x.measure, aspect = x.aspect
       FROM (SELECT b.reply_to, b.measure, b.aspect FROM analytics_events b
             JOIN (SELECT reply_to, MIN(id) AS first FROM analytics_events
                   WHERE id > :after AND id <= :upto AND outcome = 'answer' GROUP BY reply_to) f ON b.id = f.first) x
       WHERE analytics_events.id = x.reply_to""",
]


# Rasa's own table, as rasa.core.tracker_store.SQLTrackerStore.SQLEvent defines it: created here only when
# the staff application starts before the Rasa server ever wrote to this database (Rasa then uses it as is).
_rasa_metadata = sa.MetaData()
rasa_events = sa.Table(
    "events", _rasa_metadata,
    sa.Column("id", sa.Integer, sa.Sequence("events_seq", optional=True), primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)


def create_indexes(engine: Engine) -> None:
    """The derived tables, and the indexes on Rasa's `events` table (created if missing)."""
    from . import review  # noqa: F401 — staff_reviews belongs to the same metadata

    metadata.create_all(engine)
    for index in analytics_events.indexes:  # indexes added since the table was created
        index.create(engine, checkfirst=True)
    _rasa_metadata.create_all(engine)
    inspector = sa.inspect(engine)
    existing = {index["name"] for index in inspector.get_indexes("events")}
    with engine.begin() as connection:
        for name, columns in EVENT_INDEXES:
            if name not in existing:
                connection.execute(sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON events ({columns})"))


_refresh_lock = threading.Lock()


def _catch_up(engine: Engine, insert_sql: Any, settle_seconds: float) -> int:
    """Summarise the new events, BATCH at a time, each batch in one transaction with the watermark."""
    looked = 0
    while True:
        with engine.begin() as connection:
            state = connection.execute(sa.select(analytics_state.c.last_event_id)
                                       .where(analytics_state.c.name == "events")).scalar()
            after = state or 0
            newest = connection.execute(sa.text(
                "SELECT MAX(id) FROM events WHERE id > :after AND (timestamp IS NULL OR timestamp <= :before)"),
                {"after": after, "before": time.time() - settle_seconds}).scalar()
            if newest is None:
                return looked
            upto = min(newest, after + BATCH)
            params = {"after": after, "upto": upto}
            connection.execute(insert_sql, params)
            for update in _UPDATES:
                connection.execute(sa.text(update), params)
            if state is None:
                connection.execute(analytics_state.insert().values(name="events", last_event_id=upto))
            else:
                connection.execute(analytics_state.update().where(analytics_state.c.name == "events")
                                   .values(last_event_id=upto))
            looked += upto - after
        if upto == newest:
            return looked


def refresh(engine: Engine, settle_seconds: Optional[float] = None) -> int:
    """Append the events written since the last call; returns how many events were looked at.

    On PostgreSQL several Rasa replicas commit at once, so an event id can become visible after a higher
    one: only events older than `settle_seconds` (2 s) are taken there. SQLite has one writer."""
    if not sa.inspect(engine).has_table("events"):
        return 0
    dialect = engine.dialect.name
    if settle_seconds is None:
        settle_seconds = 0.0 if dialect == "sqlite" else 2.0
    insert_sql = sa.text(_insert_sql(dialect))
    with _refresh_lock:
        try:
            looked = _catch_up(engine, insert_sql, settle_seconds)
        except sa.exc.IntegrityError:
            # Another staff process summarised the same events at the same moment: its rows stand.
            logger.info("analytics: events already summarised by another process")
            return 0
    if looked >= ANALYZE_AFTER:
        # After a bulk catch-up the planner has no statistics for the new rows yet (autovacuum comes
        # later): without them PostgreSQL chose nested loops that took seconds instead of milliseconds.
        with engine.begin() as connection:
            connection.execute(sa.text("ANALYZE analytics_events"))
            if engine.dialect.name == "postgresql":  # the conversation reads use the new events indexes
                connection.execute(sa.text("ANALYZE events"))
    return looked


# ---- filters --------------------------------------------------------------------------------------

def day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def day_of(number: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=int(number))


@dataclass(frozen=True)
class Filter:
    first: dt.date
    last: dt.date
    channel: Optional[str] = None

    def where(self, alias: str = "a") -> str:
        clause = f"{alias}.day BETWEEN :first AND :last"
        return clause + (f" AND {alias}.channel = :channel" if self.channel else "")

    def params(self) -> Dict[str, Any]:
        params: Dict[str, Any] = {"first": day_number(self.first), "last": day_number(self.last)}
        if self.channel:
            params["channel"] = self.channel
        return params


def _rows(connection: Connection, sql: str, params: Dict[str, Any]) -> List[Any]:
    return connection.execute(sa.text(sql), params).all()


# ---- the analytics page ---------------------------------------------------------------------------

def summary(connection: Connection, f: Filter) -> Dict[str, Any]:
    """Every number of the analytics page for the days and channel of `f`. The user rows carry their
    reason (flag) and the measure and aspect answered, so most numbers are one pass over one index."""
    p = f.params()
    per_day = {row.day: {"day": day_of(row.day).isoformat(), "conversations": int(row.conversations),
                         "messages": int(row.messages)}  # SUM is a Decimal on PostgreSQL
               for row in _rows(connection, f"""
        SELECT d.day, COUNT(*) AS conversations, SUM(d.n) AS messages
        FROM (SELECT a.day, a.sender_id, COUNT(*) AS n FROM analytics_events a
              WHERE a.kind = 'user' AND {f.where()} GROUP BY a.day, a.sender_id) d
        GROUP BY d.day ORDER BY d.day""", p)}
    days = [per_day.get(n, {"day": day_of(n).isoformat(), "conversations": 0, "messages": 0})
            for n in range(p["first"], p["last"] + 1)]
    totals = _rows(connection, f"""
        SELECT COUNT(*) AS messages,
               {", ".join(f"SUM(CASE WHEN a.flag = '{flag}' THEN 1 ELSE 0 END) AS {flag}" for flag in FLAGS)},
               SUM(CASE WHEN a.measure IS NOT NULL THEN 1 ELSE 0 END) AS answered,
               SUM(CASE WHEN a.intent = 'human_handoff' THEN 1 ELSE 0 END) AS handoff_requests
        FROM analytics_events a WHERE a.kind = 'user' AND {f.where()}""", p)[0]
    # COUNT over a GROUP BY rather than COUNT(DISTINCT): PostgreSQL hashes the one and sorts for the other.
    conversations = _rows(connection, f"""
        SELECT COUNT(*) AS n FROM (SELECT a.sender_id FROM analytics_events a
                                   WHERE a.kind = 'user' AND {f.where()} GROUP BY a.sender_id) c""", p)[0].n
    messages = totals.messages or 0

    def rate(count: Optional[int]) -> Dict[str, Any]:
        return {"messages": count or 0, "rate": round((count or 0) / messages, 4) if messages else 0.0}

    measures = _rows(connection, f"""
        SELECT a.measure, COUNT(*) AS messages FROM analytics_events a
        WHERE a.kind = 'user' AND {f.where()} AND a.measure IS NOT NULL
        GROUP BY a.measure ORDER BY messages DESC, a.measure""", p)
    aspects = _rows(connection, f"""
        SELECT a.aspect, COUNT(*) AS messages FROM analytics_events a
        WHERE a.kind = 'user' AND {f.where()} AND a.aspect IS NOT NULL
        GROUP BY a.aspect ORDER BY messages DESC, a.aspect""", p)
    events = {(row.kind, row.form): row.n for row in _rows(connection, f"""
        SELECT a.kind, a.form, COUNT(*) AS n FROM analytics_events a
        WHERE a.kind IN ('form', 'pause') AND {f.where()} GROUP BY a.kind, a.form""", p)}
    results = {row.outcome: row.n for row in _rows(connection, f"""
        SELECT a.outcome, COUNT(*) AS n FROM analytics_events a
        WHERE a.outcome IN ('eligibility', 'checkup', 'stopped') AND {f.where()} GROUP BY a.outcome""", p)}
    return {
        "from": f.first.isoformat(), "to": f.last.isoformat(), "channel": f.channel,
        "days": days,
        "totals": {"conversations": conversations or 0, "messages": messages},
        # Each message counts under one reason, the first of FLAGS that applies.
        "rates": {**{flag: rate(getattr(totals, flag)) for flag in FLAGS}, "answered": rate(totals.answered)},
        "measures": [{"measure": row.measure, "messages": row.messages} for row in measures],
        "aspects": [{"aspect": row.aspect, "messages": row.messages} for row in aspects],
        "checks": {
            "started": sum(n for (kind, _), n in events.items() if kind == "form"),
            "started_by_form": {form: events.get(("form", form), 0) for form in FORMS},
            "finished": results.get("eligibility", 0) + results.get("checkup", 0),
            "stopped": results.get("stopped", 0),
            "dropoff": dropoff(connection, f),
        },
        "handoffs": {"paused": events.get(("pause", None), 0), "requested": totals.handoff_requests or 0},
    }


def dropoff(connection: Connection, f: Filter) -> List[Dict[str, Any]]:
    """Where eligibility checks were left: for each conversation whose last eligibility question in the
    period has no result after it, that question's fact, counted."""
    rows = _rows(connection, f"""
        WITH checks AS (
            SELECT a.sender_id, MAX(CASE WHEN a.outcome = 'asking' THEN a.id END) AS asked,
                   MAX(CASE WHEN a.outcome <> 'asking' THEN a.id END) AS finished
            FROM analytics_events a
            WHERE a.outcome IN ('asking', 'eligibility', 'checkup') AND {f.where()}
            GROUP BY a.sender_id)
        SELECT q.fact, q.measure, COUNT(*) AS conversations
        FROM checks JOIN analytics_events q ON q.id = checks.asked
        WHERE checks.finished IS NULL OR checks.finished < checks.asked
        GROUP BY q.fact, q.measure ORDER BY conversations DESC, q.fact""", f.params())
    by_fact: Dict[str, Dict[str, Any]] = {}
    for row in rows:
        entry = by_fact.setdefault(row.fact, {"fact": row.fact, "conversations": 0, "measures": {}})
        entry["conversations"] += row.conversations
        entry["measures"][row.measure or "checkup"] = row.conversations
    return sorted(by_fact.values(), key=lambda e: (-e["conversations"], e["fact"]))


def channels(connection: Connection) -> List[str]:
    return [row[0] for row in connection.execute(sa.text(
        "SELECT DISTINCT channel FROM analytics_events WHERE kind = 'user' AND channel IS NOT NULL ORDER BY channel"))]


# ---- messages (the list on the analytics page and the review inbox) -------------------------------

def _text_sql(dialect: str) -> str:
    """The message text of events row `e` (the few rows a list shows)."""
    if dialect == "postgresql":
        return "(CAST(e.data AS json) ->> 'text')"
    return "json_extract(e.data, '$.text')"


def flagged(connection: Connection, f: Filter, flag: Optional[str] = None, limit: int = 50, offset: int = 0,
            exclude_reviewed: bool = False) -> Dict[str, Any]:
    """Low-confidence, unclear, out-of-scope and clarified user messages, newest first, redacted."""
    dialect = connection.dialect.name
    flags = ", ".join(f"'{name}'" for name in FLAGS)
    where = f"a.kind = 'user' AND a.flag IN ({flags}) AND {f.where()}"
    params = {**f.params(), "limit": int(limit), "offset": int(offset)}
    if flag:
        where += " AND a.flag = :flag"
        params["flag"] = flag
    if exclude_reviewed:
        where += " AND NOT EXISTS (SELECT 1 FROM staff_reviews r WHERE r.event_id = a.id)"
    total = connection.execute(sa.text(f"SELECT COUNT(*) FROM analytics_events a WHERE {where}"), params).scalar()
    rows = _rows(connection, f"""
        SELECT a.id, a.sender_id, a.ts, a.channel, a.intent, a.confidence, a.flag, {_text_sql(dialect)} AS text,
               a.measure, a.aspect
        FROM analytics_events a JOIN events e ON e.id = a.id
        WHERE a.id IN (SELECT a.id FROM analytics_events a WHERE {where} ORDER BY a.id DESC LIMIT :limit OFFSET :offset)
        ORDER BY a.id DESC""", params)
    return {"total": total, "messages": [_message(row) for row in rows]}


def _time(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, CHINA).strftime("%Y-%m-%d %H:%M:%S")


def _message(row: Any) -> Dict[str, Any]:
    return {"id": row.id, "sender_id": row.sender_id, "time": _time(row.ts), "channel": row.channel,
            "text": redact(row.text or ""), "intent": row.intent,
            "confidence": None if row.confidence is None else round(row.confidence, 3),
            "flag": row.flag, "measure": row.measure, "aspect": row.aspect}


def message(connection: Connection, event_id: int) -> Optional[Dict[str, Any]]:
    dialect = connection.dialect.name
    rows = _rows(connection, f"""
        SELECT a.id, a.sender_id, a.ts, a.channel, a.intent, a.confidence, a.flag, {_text_sql(dialect)} AS text,
               a.measure, a.aspect
        FROM analytics_events a JOIN events e ON e.id = a.id WHERE a.id = :id AND a.kind = 'user'""",
                 {"id": int(event_id)})
    return _message(rows[0]) if rows else None


# ---- conversations --------------------------------------------------------------------------------

OUTCOME_FILTERS = {
    "out_of_scope": "o.outcome = 'out_of_scope'",
    "unclear": "o.outcome = 'unclear'",
    "clarify": "o.outcome = 'clarify'",
    "eligibility": "o.outcome IN ('eligibility', 'checkup')",
    "abandoned": None,   # a check asked and not finished (below)
    "handoff": "(o.kind = 'pause' OR o.intent = 'human_handoff')",
    "answered": "o.outcome = 'answer'",
}


def conversations(connection: Connection, f: Filter, measure: Optional[str] = None, outcome: Optional[str] = None,
                  limit: int = 50, offset: int = 0) -> Dict[str, Any]:
    """Conversations with a message in the period (and channel), optionally about a measure or with an
    outcome in the period, newest first. Each filter is one grouped subquery (IN), not a per-row EXISTS."""
    conditions = [f"{f.where('a')}"]
    params = {**f.params(), "limit": int(limit), "offset": int(offset)}
    if measure:
        conditions.append("a.sender_id IN (SELECT m.sender_id FROM analytics_events m WHERE m.kind = 'user' "
                          "AND m.day BETWEEN :first AND :last AND m.measure = :measure)")
        params["measure"] = measure
    if outcome == "abandoned":
        conditions.append("""a.sender_id IN (SELECT o.sender_id FROM analytics_events o
            WHERE o.outcome IN ('asking', 'eligibility', 'checkup') AND o.day BETWEEN :first AND :last
            GROUP BY o.sender_id
            HAVING MAX(CASE WHEN o.outcome = 'asking' THEN o.id END)
                   > COALESCE(MAX(CASE WHEN o.outcome <> 'asking' THEN o.id END), 0))""")
    elif outcome in OUTCOME_FILTERS:
        conditions.append(f"a.sender_id IN (SELECT o.sender_id FROM analytics_events o "
                          f"WHERE {OUTCOME_FILTERS[outcome]} AND o.day BETWEEN :first AND :last)")
    where = " AND ".join(conditions)
    total = connection.execute(sa.text(
        f"SELECT COUNT(DISTINCT a.sender_id) FROM analytics_events a WHERE a.kind = 'user' AND {where}"), params).scalar()
    rows = _rows(connection, f"""
        SELECT a.sender_id, MIN(a.ts) AS started, MAX(a.ts) AS last, COUNT(*) AS messages, MIN(a.channel) AS channel
        FROM analytics_events a WHERE a.kind = 'user' AND {where}
        GROUP BY a.sender_id ORDER BY MAX(a.id) DESC LIMIT :limit OFFSET :offset""", params)
    senders = [row.sender_id for row in rows]
    measures: Dict[str, List[str]] = {s: [] for s in senders}
    outcomes: Dict[str, List[str]] = {s: [] for s in senders}
    if senders:
        names = {f"s{i}": s for i, s in enumerate(senders)}
        in_list = ", ".join(f":{key}" for key in names)
        for row in _rows(connection, f"""
                SELECT DISTINCT sender_id, measure FROM analytics_events
                WHERE sender_id IN ({in_list}) AND measure IS NOT NULL AND day BETWEEN :first AND :last
                ORDER BY measure""", {**names, **f.params()}):
            measures[row.sender_id].append(row.measure)
        for row in _rows(connection, f"""
                SELECT DISTINCT sender_id, outcome FROM analytics_events
                WHERE sender_id IN ({in_list}) AND outcome IN ('out_of_scope', 'unclear', 'clarify', 'eligibility',
                                                               'checkup', 'asking', 'handoff')
                  AND day BETWEEN :first AND :last ORDER BY outcome""", {**names, **f.params()}):
            outcomes[row.sender_id].append(row.outcome)
    return {"total": total, "conversations": [
        {"sender_id": row.sender_id, "started": _time(row.started), "last": _time(row.last), "messages": row.messages,
         "channel": row.channel, "measures": measures[row.sender_id], "outcomes": outcomes[row.sender_id]}
        for row in rows]}


MAX_TRANSCRIPT_EVENTS = 2000


def transcript(connection: Connection, sender_id: str, around: Optional[int] = None,
               context: Optional[int] = None) -> List[Dict[str, Any]]:
    """One conversation's messages and the events that matter to a reader (forms, pauses, restarts),
    redacted again. With `around` and `context`: only the `context` messages either side of that event."""
    where = "sender_id = :sender AND type_name IN ('user', 'bot', 'active_loop', 'pause', 'resume', 'restart')"
    params: Dict[str, Any] = {"sender": sender_id, "limit": MAX_TRANSCRIPT_EVENTS}
    if around is not None and context is not None:
        before = connection.execute(sa.text(
            f"SELECT id FROM events WHERE {where} AND type_name IN ('user', 'bot') AND id < :around "
            f"ORDER BY id DESC LIMIT :n"), {**params, "around": around, "n": context}).all()
        after = connection.execute(sa.text(
            f"SELECT id FROM events WHERE {where} AND type_name IN ('user', 'bot') AND id > :around "
            f"ORDER BY id LIMIT :n"), {**params, "around": around, "n": context}).all()
        where += " AND id BETWEEN :low AND :high"
        params.update(low=before[-1].id if before else around, high=after[-1].id if after else around)
    rows = connection.execute(sa.text(
        f"SELECT id, type_name, timestamp, data FROM events WHERE {where} ORDER BY id LIMIT :limit"), params).all()
    return [item for item in (_transcript_item(row) for row in rows) if item]


def _transcript_item(row: Any) -> Optional[Dict[str, Any]]:
    try:
        data = json.loads(row.data or "{}")
    except json.JSONDecodeError:
        return None
    data = redact_all(data)
    item: Dict[str, Any] = {"id": row.id, "type": row.type_name, "time": _time(row.timestamp or 0)}
    if row.type_name == "user":
        intent = (data.get("parse_data") or {}).get("intent") or {}
        item.update(text=data.get("text") or "", intent=intent.get("name"), confidence=intent.get("confidence"),
                    channel=data.get("input_channel"))
    elif row.type_name == "bot":
        custom = (data.get("data") or {}).get("custom")
        buttons = (data.get("data") or {}).get("buttons") or []
        item.update(text=data.get("text") or "", custom=custom if isinstance(custom, dict) else None,
                    buttons=[b.get("title") for b in buttons if isinstance(b, dict)])
    elif row.type_name == "active_loop":
        if not data.get("name"):
            item.update(text="（问答结束）")
        else:
            item.update(text=f"开始提问：{data.get('name')}")
    else:
        item.update(text={"pause": "（转人工：机器人暂停）", "resume": "（机器人恢复）", "restart": "（对话重新开始）"}
                    .get(row.type_name, ""))
    return item


def conversation_key(connection: Connection, sender_id: str) -> int:
    """The number a conversation is opened by: the id of its first summarised event (so no sender id
    goes into a URL)."""
    return connection.execute(sa.text("SELECT MIN(id) FROM analytics_events WHERE sender_id = :s"),
                              {"s": sender_id}).scalar()


def sender_of(connection: Connection, key: int) -> Optional[str]:
    row = connection.execute(sa.text("SELECT sender_id FROM analytics_events WHERE id = :id"), {"id": int(key)}).first()
    if row is None or conversation_key(connection, row.sender_id) != int(key):
        return None
    return row.sender_id
