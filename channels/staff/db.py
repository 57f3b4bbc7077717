"""The staff application's tables, in the same SQL database as the tracker store (DATABASE_URL from
bot/settings.py: SQLite by default, PostgreSQL in production), all named staff_*.

  staff_users           accounts: name, scrypt hash, role (agent / reviewer / admin), disabled flag
  staff_sessions        logged-in sessions: the SHA-256 of the cookie's token (never the token), its CSRF
                        token and its expiry
  staff_login_failures  failed logins by name and client address, for the rate limit

The hand-off queue's tables (staff_handoffs, staff_presence) are defined in handoff_queue.py on the same
metadata: only who has which conversation is stored; the transcript and the collected facts stay in the
tracker store and are read through Rasa's conversations API.
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

from sqlalchemy import (Boolean, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table,
                        create_engine)
from sqlalchemy.engine import Engine

from bot import settings

ROLES = ("agent", "reviewer", "admin")

metadata = MetaData()

users = Table(
    "staff_users", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime, nullable=False),
)

sessions = Table(
    "staff_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

login_failures = Table(
    "staff_login_failures", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", DateTime, nullable=False),
    Index("ix_staff_login_failures_at", "at"),
)


def now() -> dt.datetime:
    """Naive UTC, stored the same way on SQLite and PostgreSQL."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def connect(url: Optional[str] = None) -> Engine:
    """The engine for DATABASE_URL, with the staff tables created if missing."""
    url = url or settings.database_url()
    if url.startswith("sqlite:///"):
        settings.VAR.mkdir(exist_ok=True)
    engine = create_engine(url, future=True, pool_pre_ping=True)
    metadata.create_all(engine)
    return engine
