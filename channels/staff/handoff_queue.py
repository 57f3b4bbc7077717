"""The hand-off queue: which conversation waits for, or is with, which human agent — and whether an
agent is there to take it. Used by the action server (a citizen asks for 人工) and the staff application
(agents take, answer and hand back), both on DATABASE_URL, the tracker store's database.

  staff_handoffs   one row per request: sender_id (the Rasa conversation id), channel (socketio / wechat),
                   status queued → taken → closed, why it was asked (asked / offered), who took it, the
                   times, who ended it, and how far the staff application has read the conversation
  staff_presence   the last time each logged-in session of the panel was seen (the panel's pages poll);
                   an agent or admin seen within PRESENCE_SECONDS counts as online

Only who-has-which-conversation lives here. The transcript and the facts collected stay in the tracker
store and are read through Rasa's conversations API; the bot is paused and resumed with Rasa's own
ConversationPaused / ConversationResumed events.

Service hours: STAFF_HANDOFF_HOURS, e.g. "1-5 08:30-12:00,13:30-17:30" (ISO weekdays 1 = Monday, then
comma-separated ranges, in China Standard Time, UTC+8). Empty: agents may be online at any time.
"""
from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from typing import List, Optional, Tuple

from sqlalchemy import (Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, func, insert,
                        select, update)
from sqlalchemy.engine import Engine

from . import db

logger = logging.getLogger(__name__)

CHANNELS = ("socketio", "wechat")      # the channels a human's reply can be delivered on later
OPEN = ("queued", "taken")
TAKERS = ("agent", "admin")            # the roles that answer citizens
PRESENCE_SECONDS = 60                  # the panel's pages poll every few seconds; a minute of silence = gone
HOURS_ENV = "STAFF_HANDOFF_HOURS"
CHINA = dt.timezone(dt.timedelta(hours=8), "CST")
WEEKDAYS = "一二三四五六日"
END_PHRASE = "结束人工服务"
END_CONFIDENCE = 0.7   # the NLU's end_handoff counts from this confidence (below, only the exact words do)
# What a citizen may type to end the human service (compared without spaces and punctuation).
END_REQUESTS = {END_PHRASE, "结束人工", "退出人工服务", "退出人工", "取消人工服务", "取消转人工", "不用人工了"}
_NOT_WORDS = re.compile(r"[\s，。！？!?,.、~～]+")

handoffs = Table(
    "staff_handoffs", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", String(16), nullable=False),      # asked (转人工) / offered (after two failed turns)
    Column("requested_at", DateTime, nullable=False),
    Column("taken_by", Integer, ForeignKey("staff_users.id"), nullable=True),
    Column("taken_at", DateTime, nullable=True),
    Column("closed_at", DateTime, nullable=True),
    Column("closed_by", String(16), nullable=True),    # agent / citizen / bot (the conversation moved on)
    Column("read_until", Float, nullable=False, default=0.0),   # Rasa timestamp of the last event handled
    Column("waiting_note_at", DateTime, nullable=True),          # when the citizen was last told to wait
    Index("ix_staff_handoffs_status", "status"),
    Index("ix_staff_handoffs_sender", "sender_id"),
)

presence = Table(
    "staff_presence", db.metadata,
    Column("token_hash", String(64), primary_key=True),   # the session (staff_sessions.token_hash)
    Column("user_id", Integer, nullable=False),
    Column("last_seen", DateTime, nullable=False),
)


def is_end_request(text: str) -> bool:
    return _NOT_WORDS.sub("", text or "") in END_REQUESTS


# ---- service hours ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Hours:
    days: Tuple[int, ...]                        # ISO weekdays
    ranges: Tuple[Tuple[dt.time, dt.time], ...]  # start ≤ t < end

    def open_at(self, moment: dt.datetime) -> bool:
        local = moment.astimezone(CHINA)
        return local.isoweekday() in self.days and any(start <= local.time() < end for start, end in self.ranges)

    def describe(self) -> str:
        """'周一至周五 08:30-12:00、13:30-17:30' for the citizen."""
        days = self.days
        if days == tuple(range(1, 8)):
            when = "每天"
        elif len(days) > 2 and days == tuple(range(days[0], days[-1] + 1)):
            when = f"周{WEEKDAYS[days[0] - 1]}至周{WEEKDAYS[days[-1] - 1]}"
        else:
            when = "、".join(f"周{WEEKDAYS[d - 1]}" for d in days)
        return when + " " + "、".join(f"{s:%H:%M}-{e:%H:%M}" for s, e in self.ranges)


_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAYS = re.compile(r"^([1-7])(?:-([1-7]))?$")


def parse_hours(value: str) -> Optional[Hours]:
    """STAFF_HANDOFF_HOURS → Hours; None when empty (no limit). A malformed value raises ValueError."""
    value = value.strip()
    if not value:
        return None
    days: Tuple[int, ...] = tuple(range(1, 8))
    head, _, rest = value.partition(" ")
    if rest and not _RANGE.match(head.split(",")[0]):
        picked: List[int] = []
        for part in head.split(","):
            match = _DAYS.match(part)
            if not match:
                raise ValueError(f"{HOURS_ENV}: weekdays {head!r} should look like 1-5 or 6,7")
            first, last = int(match.group(1)), int(match.group(2) or match.group(1))
            picked += list(range(first, last + 1))
        days, value = tuple(sorted(set(picked))), rest.strip()
    ranges = []
    for part in value.replace(" ", "").split(","):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"{HOURS_ENV}: {part!r} should look like 08:30-17:30")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        end = dt.time(23, 59, 59, 999999) if (h2, m2) == (24, 0) else dt.time(h2, m2)
        start = dt.time(h1, m1)
        if not start < end:
            raise ValueError(f"{HOURS_ENV}: {part!r} ends before it starts")
        ranges.append((start, end))
    return Hours(days, tuple(ranges))


def service_hours() -> Optional[Hours]:
    """The configured hours; a malformed setting is logged and read as no limit (a request is never lost
    to a typo: it is queued either way)."""
    try:
        return parse_hours(os.environ.get(HOURS_ENV, ""))
    except ValueError as problem:
        logger.error("%s; hand-off hours not applied", problem)
        return None


def in_service_hours(moment: Optional[dt.datetime] = None) -> bool:
    hours = service_hours()
    return hours is None or hours.open_at(moment or dt.datetime.now(dt.timezone.utc))


# ---- presence ---------------------------------------------------------------------------------------

def seen(engine: Engine, token_hash: str, user_id: int) -> None:
    """A session of the panel is open (called by its polling pages)."""
    now = db.now()
    with engine.begin() as connection:
        updated = connection.execute(update(presence).where(presence.c.token_hash == token_hash)
                                     .values(last_seen=now)).rowcount
        if not updated:
            connection.execute(insert(presence).values(token_hash=token_hash, user_id=user_id, last_seen=now))
        connection.execute(presence.delete().where(presence.c.last_seen < now - dt.timedelta(hours=1)))


def agents_online(engine: Engine) -> int:
    """Agents (and admins) whose unexpired, enabled session polled within PRESENCE_SECONDS."""
    now = db.now()
    query = (select(func.count(func.distinct(presence.c.user_id)))
             .select_from(presence.join(db.sessions, db.sessions.c.token_hash == presence.c.token_hash)
                          .join(db.users, db.users.c.id == presence.c.user_id))
             .where(presence.c.last_seen > now - dt.timedelta(seconds=PRESENCE_SECONDS),
                    db.sessions.c.expires_at > now, db.users.c.disabled.is_(False), db.users.c.role.in_(TAKERS)))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


# ---- the queue --------------------------------------------------------------------------------------

def request(engine: Engine, sender_id: str, channel: str, reason: str) -> int:
    """Queue a conversation; returns the row id. The bot only runs actions on a conversation that is not
    paused, so an open row left for this sender (its conversation restarted meanwhile) is stale: closed."""
    now = db.now()
    with engine.begin() as connection:
        connection.execute(update(handoffs).where(handoffs.c.sender_id == sender_id, handoffs.c.status.in_(OPEN))
                           .values(status="closed", closed_at=now, closed_by="bot"))
        result = connection.execute(insert(handoffs).values(
            sender_id=sender_id, channel=channel, status="queued", reason=reason, requested_at=now, read_until=0.0))
        return int(result.inserted_primary_key[0])


def open_requests(engine: Engine) -> List:
    """Queued and taken requests, oldest first, with the taker's name."""
    query = (select(handoffs, db.users.c.name.label("taken_by_name"))
             .select_from(handoffs.outerjoin(db.users, db.users.c.id == handoffs.c.taken_by))
             .where(handoffs.c.status.in_(OPEN)).order_by(handoffs.c.requested_at, handoffs.c.id))
    with engine.connect() as connection:
        return connection.execute(query).all()


def get(engine: Engine, handoff_id: int):
    query = (select(handoffs, db.users.c.name.label("taken_by_name"))
             .select_from(handoffs.outerjoin(db.users, db.users.c.id == handoffs.c.taken_by))
             .where(handoffs.c.id == handoff_id))
    with engine.connect() as connection:
        return connection.execute(query).first()


def take(engine: Engine, handoff_id: int, user_id: int) -> bool:
    """Give a queued request to this agent; False when someone else was quicker (or it is closed)."""
    with engine.begin() as connection:
        return connection.execute(update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.status == "queued")
                                  .values(status="taken", taken_by=user_id, taken_at=db.now())).rowcount == 1


def close(engine: Engine, handoff_id: int, by: str) -> bool:
    """End an open request; False when it was already closed (so the hand-back is done once)."""
    with engine.begin() as connection:
        return connection.execute(update(handoffs).where(handoffs.c.id == handoff_id, handoffs.c.status.in_(OPEN))
                                  .values(status="closed", closed_at=db.now(), closed_by=by)).rowcount == 1


def reopen(engine: Engine, handoff_id: int, status: str) -> None:
    """Undo a close that Rasa did not carry out (the conversation is still paused)."""
    with engine.begin() as connection:
        connection.execute(update(handoffs).where(handoffs.c.id == handoff_id)
                           .values(status=status, closed_at=None, closed_by=None))


def mark_read(engine: Engine, handoff_id: int, until: float, waiting_note: bool = False) -> None:
    values = {"read_until": until, **({"waiting_note_at": db.now()} if waiting_note else {})}
    with engine.begin() as connection:
        connection.execute(update(handoffs).where(handoffs.c.id == handoff_id).values(**values))


def counts(engine: Engine) -> Tuple[int, int]:
    """(queued, taken) right now."""
    with engine.connect() as connection:
        rows = dict(connection.execute(select(handoffs.c.status, func.count()).where(handoffs.c.status.in_(OPEN))
                                       .group_by(handoffs.c.status)).all())
    return int(rows.get("queued", 0)), int(rows.get("taken", 0))


_engine: Optional[Engine] = None


def shared_engine() -> Engine:
    """One engine per process for the action server (DATABASE_URL)."""
    global _engine
    if _engine is None:
        _engine = db.connect()
    return _engine
