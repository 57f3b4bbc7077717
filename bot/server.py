"""The Rasa server: `rasa run --enable-api` with this project's settings and safeguards.

    python -m bot.server [--model models] [--port $RASA_PORT] [--interface 127.0.0.1]

Compared with a bare `rasa run`:
- every setting comes from the environment (bot/settings.py) with the embedded defaults, so
  bot/endpoints.yml's ${…} placeholders are always filled;
- the HTTP API requires RASA_API_TOKEN (generated into var/ when unset); channel webhooks stay open;
- the database and Redis are checked before the model loads: when one is unreachable the server
  stops with one line saying which and why, not a stack trace;
- a failing, slow or absent action server gets the person an apology, never silence
  (bot/action_endpoint.py);
- action responses are validated with a validator built once (bot/validation.py);
- event classes are looked up once per type name (bot/event_lookup.py), and the action server is sent
  the current turn's events, not the whole history (bot/action_payload.py);
- a conversation's applied events and past states are carried forward from the previous turn, not
  replayed from its first event (bot/tracker_history.py): same results, turn 40 as cheap as turn 1;
- at most MESSAGE_CONCURRENCY messages are worked on at once, the rest queue in order
  (bot/admission.py): the same throughput, even waits;
- DIET's weights are restored without Rasa's one-step training and each prediction calls the traced
  graph directly (bot/model_loading.py): same predictions, a shorter start, a cheaper turn;
- the REST webhook refuses over-long and too frequent messages politely (bot/limits.py).
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from typing import Optional, Sequence

from bot import settings

ROOT = settings.ROOT


class StartupError(Exception):
    """A configuration or connection problem, reported as one line."""


def export_defaults() -> None:
    """Fill the variables bot/endpoints.yml reads, where the environment leaves them unset."""
    os.environ["ACTION_SERVER_URL"] = settings.action_server_url()
    os.environ["DATABASE_URL"] = settings.database_url()
    os.environ["REDIS_URL"] = settings.redis_url()


def _describe(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).__repr__()
    except Exception:  # not an SQLAlchemy URL (e.g. redis://): drop anything before '@'
        scheme, _, rest = url.partition("://")
        return f"{scheme}://{rest.rpartition('@')[2]}"


def check_database(url: str) -> None:
    import sqlalchemy as sa

    try:
        parsed = sa.engine.make_url(url)
    except Exception as error:
        raise StartupError(f"DATABASE_URL is not a database URL ({error}); "
                           f"e.g. postgresql://user:password@host:5432/policybot")
    connect_args = {"connect_timeout": 5} if parsed.get_backend_name() == "postgresql" else {}
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        os.makedirs(os.path.dirname(os.path.abspath(parsed.database)), exist_ok=True)
    try:
        engine = sa.create_engine(parsed, connect_args=connect_args)
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        first_line = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise StartupError(f"Cannot reach the tracker-store database {_describe(url)} "
                           f"(DATABASE_URL): {first_line}")


def check_redis(url: str) -> None:
    import redis

    try:
        redis.StrictRedis.from_url(url, socket_connect_timeout=5, socket_timeout=5).ping()
    except Exception as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StartupError(f"Cannot reach Redis at {_describe(url)} (REDIS_URL): {first_line}")


def check_workers() -> None:
    workers = os.environ.get("SANIC_WORKERS", "1").strip() or "1"
    if workers != "1" and not settings.redis_url():
        raise StartupError(f"SANIC_WORKERS={workers} needs REDIS_URL: several processes must share "
                           f"the conversation locks")


def load_endpoints(path: str):
    from rasa.core.utils import AvailableEndpoints
    from rasa.shared.exceptions import RasaException

    from bot.action_endpoint import ResilientActionEndpoint

    try:
        endpoints = AvailableEndpoints.read_endpoints(path)
    except RasaException as error:
        raise StartupError(f"{path}: {error}")
    if endpoints.action is None:
        raise StartupError(f"{path} configures no action_endpoint")
    endpoints.action = ResilientActionEndpoint(endpoints.action)
    return endpoints


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bot.server", description=__doc__.splitlines()[0])
    parser.add_argument("-m", "--model", default=str(ROOT / "models"), help="model file or directory")
    parser.add_argument("-i", "--interface", default=os.environ.get("RASA_INTERFACE", "127.0.0.1"))
    parser.add_argument("-p", "--port", type=int, default=settings.rasa_port())
    parser.add_argument("--endpoints", default=str(ROOT / "bot" / "endpoints.yml"))
    parser.add_argument("--credentials", default=str(ROOT / "bot" / "credentials.yml"))
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace):
    """Everything that can fail for a reason the operator must fix, before the model loads."""
    import rasa.model

    export_defaults()
    check_workers()
    endpoints = load_endpoints(args.endpoints)
    check_database(settings.database_url())
    if settings.redis_url():
        check_redis(settings.redis_url())
    try:
        model = rasa.model.get_local_model(args.model)
    except Exception as error:
        raise StartupError(f"No trained model at {args.model} ({error}); run `make train`")
    return endpoints, model


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's C++ start-up notices
    # Importing Rasa prints its dependencies' deprecation warnings (aiogram even re-enables them),
    # which an operator cannot act on and which would bury a start-up error: import it silently.
    with warnings.catch_warnings(record=True):
        import rasa.core.utils  # noqa: F401
    try:
        endpoints, model = prepare(args)
    except StartupError as error:
        print(f"Rasa server not started: {error}", file=sys.stderr)
        return 1

    import rasa.core.run
    import rasa.utils.io
    import rasa.utils.tensorflow.environment as tf_env
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    from bot import action_payload, admission, event_lookup, limits, model_loading, tracker_history, validation

    # What `rasa run` sets up before serving (rasa/__main__.py).
    level = getattr(logging, args.log_level.upper(), logging.INFO)
    configure_logging_and_warnings(level, warn_only_once=True, filter_repeated_logs=True)
    tf_env.setup_tf_environment()
    rasa.utils.io.configure_colored_logging(level)
    configure_structlog(level)
    validation.install()
    event_lookup.install()
    action_payload.install()
    model_loading.install()
    tracker_history.install()
    admission.install()

    async def close_action_session(_app, _loop) -> None:
        await endpoints.action.close()

    rasa.core.run.serve_application(
        model, credentials=args.credentials, interface=args.interface, port=args.port,
        auth_token=settings.api_token(), enable_api=True, endpoints=endpoints,
        server_listeners=[(limits.install, "before_server_start"), (close_action_session, "after_server_stop")])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
