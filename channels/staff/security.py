"""Accounts, sessions and request checks of the staff application.

- Passwords: hashlib.scrypt (N=2^15, r=8, p=1, 16-byte salt), compared in constant time; an unknown
  name costs the same hash so response time does not reveal which names exist.
- Sessions: a random token in an HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256,
  the user and an absolute expiry (STAFF_SESSION_HOURS, default 8: one shift).
- CSRF: every POST/PUT/PATCH/DELETE carries the X-CSRF-Token header — the session's token, or for the
  login itself the pre-session token of the `staff_csrf` cookie (double submit) — and a foreign Origin
  is refused.
- Login rate limit: at most MAX_FAILURES_PER_NAME failed logins for a name, and MAX_FAILURES_PER_ADDRESS
  from one client address, within FAILURE_WINDOW; then 429 until the window passes.
- Roles: agent < reviewer < admin are separate roles; `require_role` guards a route.
"""
from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import wraps
from typing import Awaitable, Callable, Optional

from aiohttp import web
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Engine

from . import db

SESSION_COOKIE = "staff_session"
CSRF_COOKIE = "staff_csrf"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SCRYPT = {"n": 2 ** 15, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024, "dklen": 32}
FAILURE_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_NAME = 5
MAX_FAILURES_PER_ADDRESS = 20
MIN_PASSWORD_LENGTH = 10


def session_lifetime() -> dt.timedelta:
    return dt.timedelta(hours=float(os.environ.get("STAFF_SESSION_HOURS") or 8))


# ---- passwords ------------------------------------------------------------------------------------

def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, **SCRYPT)
    return "scrypt${n}${r}${p}${salt}${digest}".format(
        n=SCRYPT["n"], r=SCRYPT["r"], p=SCRYPT["p"],
        salt=base64.b64encode(salt).decode(), digest=base64.b64encode(digest).decode())


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r),
                                p=int(p), maxmem=SCRYPT["maxmem"], dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


_DUMMY_HASH = hash_password(secrets.token_urlsafe(16))  # verified against when the name is unknown


# ---- accounts (used by the CLI and the login) -----------------------------------------------------

class AccountError(ValueError):
    """A bad account request; str(error) is a Chinese message for the admin."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str


def add_user(engine: Engine, name: str, password: str, role: str) -> None:
    name = name.strip()
    if not name or len(name) > 64:
        raise AccountError("账号名不能为空，且不超过64个字符。")
    if role not in db.ROLES:
        raise AccountError(f"角色应为 {' / '.join(db.ROLES)} 之一。")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"密码至少需要{MIN_PASSWORD_LENGTH}个字符。")
    with engine.begin() as connection:
        if connection.execute(select(db.users.c.id).where(db.users.c.name == name)).first():
            raise AccountError(f"账号 {name} 已存在。")
        connection.execute(insert(db.users).values(name=name, password_hash=hash_password(password), role=role,
                                                    disabled=False, created_at=db.now()))


def set_disabled(engine: Engine, name: str, disabled: bool) -> None:
    """Disable (or re-enable) an account; disabling also ends its sessions."""
    with engine.begin() as connection:
        row = connection.execute(select(db.users.c.id).where(db.users.c.name == name)).first()
        if not row:
            raise AccountError(f"没有账号 {name}。")
        connection.execute(update(db.users).where(db.users.c.id == row.id).values(disabled=disabled))
        if disabled:
            connection.execute(delete(db.sessions).where(db.sessions.c.user_id == row.id))


def list_users(engine: Engine):
    with engine.connect() as connection:
        return connection.execute(select(db.users.c.name, db.users.c.role, db.users.c.disabled,
                                         db.users.c.created_at).order_by(db.users.c.name)).all()


def _address(request: web.Request) -> str:
    return (request.remote or "unknown")[:64]


def too_many_failures(engine: Engine, name: str, address: str) -> bool:
    since = db.now() - FAILURE_WINDOW
    failures = db.login_failures
    with engine.connect() as connection:
        by_name = connection.execute(select(func.count()).select_from(failures).where(
            failures.c.name == name, failures.c.at > since)).scalar_one()
        by_address = connection.execute(select(func.count()).select_from(failures).where(
            failures.c.address == address, failures.c.at > since)).scalar_one()
    return by_name >= MAX_FAILURES_PER_NAME or by_address >= MAX_FAILURES_PER_ADDRESS


def _check_credentials(engine: Engine, name: str, password: str) -> Optional[User]:
    with engine.connect() as connection:
        row = connection.execute(select(db.users).where(db.users.c.name == name)).first()
    if row is None:
        verify_password(password, _DUMMY_HASH)
        return None
    if not verify_password(password, row.password_hash) or row.disabled:
        return None
    return User(row.id, row.name, row.role)


async def authenticate(request: web.Request, name: str, password: str) -> Optional[User]:
    """The user for a correct name and password, recording a failure otherwise (hashing off the event loop)."""
    engine: Engine = request.app["engine"]
    name = name.strip()[:64]
    user = await asyncio.get_running_loop().run_in_executor(None, _check_credentials, engine, name, password)
    with engine.begin() as connection:
        if user is None:
            connection.execute(insert(db.login_failures).values(name=name, address=_address(request), at=db.now()))
        else:
            connection.execute(delete(db.login_failures).where(db.login_failures.c.name == name))
        connection.execute(delete(db.login_failures).where(db.login_failures.c.at < db.now() - FAILURE_WINDOW))
    return user


# ---- sessions -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    expires_at: dt.datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start_session(request: web.Request, response: web.StreamResponse, user: User) -> Session:
    engine: Engine = request.app["engine"]
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    started = db.now()
    expires = started + session_lifetime()
    with engine.begin() as connection:
        connection.execute(delete(db.sessions).where(db.sessions.c.expires_at < started))
        connection.execute(insert(db.sessions).values(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf,
                                                       created_at=started, expires_at=expires))
    response.set_cookie(SESSION_COOKIE, token, max_age=int(session_lifetime().total_seconds()), path="/",
                        httponly=True, samesite="Strict", secure=request.secure)
    return Session(user, csrf, expires)


def end_session(request: web.Request, response: web.StreamResponse) -> None:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with request.app["engine"].begin() as connection:
            connection.execute(delete(db.sessions).where(db.sessions.c.token_hash == _token_hash(token)))
    response.del_cookie(SESSION_COOKIE, path="/")


def current_session(request: web.Request) -> Optional[Session]:
    """The request's unexpired session of an enabled account, or None (an expired one is deleted)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token or len(token) > 128:
        return None
    engine: Engine = request.app["engine"]
    with engine.connect() as connection:
        row = connection.execute(
            select(db.sessions.c.token_hash, db.sessions.c.csrf_token, db.sessions.c.expires_at,
                   db.users.c.id, db.users.c.name, db.users.c.role, db.users.c.disabled)
            .join(db.users, db.users.c.id == db.sessions.c.user_id)
            .where(db.sessions.c.token_hash == _token_hash(token))).first()
    if row is None:
        return None
    if row.expires_at <= db.now() or row.disabled:
        with engine.begin() as connection:
            connection.execute(delete(db.sessions).where(db.sessions.c.token_hash == row.token_hash))
        return None
    return Session(User(row.id, row.name, row.role), row.csrf_token, row.expires_at)


def login_csrf_token(request: web.Request, response: web.StreamResponse) -> str:
    """The pre-session CSRF token for the login form (kept in its own SameSite=Strict cookie)."""
    token = request.cookies.get(CSRF_COOKIE)
    if not token or len(token) > 128:
        token = secrets.token_urlsafe(32)
    response.set_cookie(CSRF_COOKIE, token, path="/", httponly=True, samesite="Strict", secure=request.secure)
    return token


def same_origin(request: web.Request) -> bool:
    """A browser's Origin header, when sent, must be this server (a CRM calling server-to-server sends none)."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    return origin == f"{request.scheme}://{request.host}"


def csrf_ok(request: web.Request, expected: Optional[str]) -> bool:
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(expected) and bool(sent) and hmac.compare_digest(sent, expected) and same_origin(request)


# ---- route guards ---------------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def public(handler: Handler) -> Handler:
    """Mark a route reachable without a session (only the login page, its files and the login itself)."""
    handler.staff_public = True  # type: ignore[attr-defined]
    return handler


def require_role(*roles: str) -> Callable[[Handler], Handler]:
    """Allow a route only to these roles (the session itself is required for every non-public route)."""
    def decorate(handler: Handler) -> Handler:
        @wraps(handler)
        async def guarded(request: web.Request) -> web.StreamResponse:
            if request["session"].user.role not in roles:
                raise web.HTTPForbidden(text='{"error": "您的账号没有权限使用此功能。"}', content_type="application/json")
            return await handler(request)
        return guarded
    return decorate
