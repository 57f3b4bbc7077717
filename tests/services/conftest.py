"""The machine's PostgreSQL and Redis, used for real. TEST_DATABASE_URL and TEST_REDIS_URL choose them
(defaults: database `test` on 127.0.0.1:5432 as user postgres, Redis on 127.0.0.1:6379); a test that
needs one skips, saying so, when it cannot be reached."""
from __future__ import annotations

import os

import pytest

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def reachable_postgres() -> str:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:  # the reason is shown in the skip message
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL} (set TEST_DATABASE_URL): "
                    f"{str(error).strip().splitlines()[0]}")
    return POSTGRES_URL


def reachable_redis() -> str:
    import redis

    try:
        redis.StrictRedis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as error:
        pytest.skip(f"Redis not reachable at {REDIS_URL} (set TEST_REDIS_URL): {error}")
    return REDIS_URL


@pytest.fixture(scope="session")
def postgres_url() -> str:
    return reachable_postgres()


@pytest.fixture(scope="session")
def redis_url() -> str:
    return reachable_redis()
