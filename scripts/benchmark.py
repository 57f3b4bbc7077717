"""Performance of the running assistant, measured from outside over HTTP, in one run (`make benchmark`).

Starts the servers itself (scripts/servers.sh, with the ports and settings of the environment), then
prints: the floor (a trivial aiohttp handler on loopback, same client, so ratios compare across
machines); time until the Rasa server answers; NLU parse p50/p95; a Q&A turn and an eligibility-form
turn p50/p95 at 1, 10 and 50 concurrent users; turn 1 vs turn 40 of one conversation; peak RSS of each
server process; the Q&A turn again with two Sanic workers in the one replica (SANIC_WORKERS=2, locks in
Redis; skipped without Redis); then two Rasa replicas on PostgreSQL + Redis behind nginx (scripts/replicas.sh; skipped,
saying why, without nginx, PostgreSQL or Redis) against one of them alone; with --train, the training
time; and last a table of every figure against the targets of issue 11. The load generator is this
process (asyncio + aiohttp), so on a small machine it shares the CPU with the servers, as a real client
would not.

Replicas: BENCH_DATABASE_URL / BENCH_REDIS_URL (else TEST_DATABASE_URL / TEST_REDIS_URL, else database
`test` and Redis db 0 on 127.0.0.1), on ports RASA_PORT+21 and +22, their action server on
ACTIONS_PORT+21 and nginx on RASA_PORT+77.

Usage: python scripts/benchmark.py [--seconds 10] [--train] [--no-start] [--no-replicas] [--no-workers]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional

import aiohttp
import yaml
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bot import settings  # noqa: E402

LEVELS = (1, 10, 50)


def quantile(values: List[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary(values: List[float]) -> str:
    return f"p50 {quantile(values, 50):7.1f} ms  p95 {quantile(values, 95):7.1f} ms  (n={len(values)})"


def questions() -> List[str]:
    """Q&A questions about measures, from the first held-out set (never training data)."""
    cases = yaml.safe_load((ROOT / "tests" / "nlu" / "heldout.yml").read_text(encoding="utf-8"))
    return [case["text"] for case in cases if case.get("measure") and not case.get("context")]


class Client:
    """Sends one message as one user and returns (milliseconds, replies)."""

    def __init__(self, session: aiohttp.ClientSession, url: str):
        self.session, self.url = session, url

    async def say(self, sender: str, text: str):
        started = time.perf_counter()
        async with self.session.post(f"{self.url}/webhooks/rest/webhook",
                                     json={"sender": sender, "message": text}) as response:
            replies = await response.json()
            if response.status != 200:
                raise RuntimeError(f"status {response.status}: {replies}")
        return (time.perf_counter() - started) * 1000, replies


async def run_users(users: int, seconds: float, user: Callable[[int, float], Awaitable[List[float]]]):
    """`users` concurrent loops until the deadline; returns (all latencies, messages per second)."""
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    results = await asyncio.gather(*(user(index, deadline) for index in range(users)))
    elapsed = time.perf_counter() - started
    latencies = [value for result in results for value in result]
    return latencies, len(latencies) / elapsed


def qa_user(client: Client, texts: List[str]):
    async def user(index: int, deadline: float) -> List[float]:
        latencies, rng = [], random.Random(index)
        sender = f"bench-qa-{uuid.uuid4().hex[:10]}"
        turns = 0
        while time.perf_counter() < deadline:
            if turns == 10:  # a new person every ten questions, so conversations stay realistic
                sender, turns = f"bench-qa-{uuid.uuid4().hex[:10]}", 0
            latency, _ = await client.say(sender, rng.choice(texts))
            latencies.append(latency)
            turns += 1
        return latencies
    return user


def answer_for(asking: Dict[str, Any], replies: List[Dict[str, Any]]) -> str:
    """A plausible reply to an eligibility question: a button's title, else a number or 是."""
    for reply in replies:
        if reply.get("buttons"):
            return reply["buttons"][0]["title"]
    return {"int": "3", "number": "2"}.get(asking.get("type"), "是")


def form_user(client: Client):
    """Runs the 政策体检 again and again; measures the turns that answer one of its questions."""
    async def user(index: int, deadline: float) -> List[float]:
        latencies = []
        while time.perf_counter() < deadline:
            sender = f"bench-form-{uuid.uuid4().hex[:10]}"
            _, replies = await client.say(sender, "帮我做个政策体检")
            for _ in range(12):
                asking = next((r["custom"]["asking"] for r in replies
                               if isinstance(r.get("custom"), dict) and "asking" in r["custom"]), None)
                if asking is None or time.perf_counter() >= deadline:
                    break
                latency, replies = await client.say(sender, answer_for(asking, replies))
                latencies.append(latency)
        return latencies
    return user


async def parse_latencies(session: aiohttp.ClientSession, url: str, texts: List[str], count: int) -> List[float]:
    token = settings.api_token()
    latencies = []
    for text in (texts * (count // len(texts) + 1))[:count]:
        started = time.perf_counter()
        async with session.post(f"{url}/model/parse", params={"token": token}, json={"text": text}) as response:
            await response.read()
            assert response.status == 200, response.status
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


async def long_conversation(client: Client, texts: List[str], conversations: int = 5, turns: int = 40):
    """Latency of each turn number over several sequential 40-turn conversations."""
    by_turn: List[List[float]] = [[] for _ in range(turns)]
    for number in range(conversations):
        sender, rng = f"bench-long-{uuid.uuid4().hex[:10]}", random.Random(number)
        for turn in range(turns):
            latency, _ = await client.say(sender, rng.choice(texts))
            by_turn[turn].append(latency)
    return by_turn


async def floor(seconds: float) -> Dict[int, tuple]:
    """The same client against a trivial aiohttp handler returning a small JSON reply."""
    async def handler(request):
        body = await request.json()
        return web.json_response([{"recipient_id": body["sender"], "text": "好的"}])

    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    results = {}
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
            client = Client(session, f"http://127.0.0.1:{port}")
            for users in LEVELS:
                results[users] = await run_users(users, seconds, qa_user(client, ["你好"]))
    finally:
        await runner.cleanup()
    return results


def peak_rss_mb(pid_file: Path) -> Optional[float]:
    """VmHWM (peak resident set) of the process and its children, in MB."""
    try:
        pid = int(pid_file.read_text())
    except (OSError, ValueError):
        return None
    pids = [pid] + [int(child) for child in
                    Path(f"/proc/{pid}/task/{pid}/children").read_text().split()] \
        if Path(f"/proc/{pid}").exists() else []
    total = 0.0
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total += int(line.split()[1]) / 1024
    return total or None


# One benchmark conversation sends 40 messages in a few seconds, faster than a person may:
# the per-sender limit stays in the path but is set above the load.
LIMIT_ABOVE_LOAD = {"SENDER_RATE_LIMIT": "1000000/60"}


def rasa_answering(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"{url}/status?token={settings.api_token()}", timeout=1):
            return True
    except Exception:
        return False


def start_servers(extra: Optional[Dict[str, str]] = None) -> float:
    """Starts everything scripts/servers.sh starts; returns the seconds until the Rasa server answered."""
    env = {**os.environ, "BIN": str(Path(sys.executable).parent), **LIMIT_ABOVE_LOAD, **(extra or {})}
    settings.api_token()  # generated before the start, so the polling below knows it
    subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], cwd=ROOT, stdout=subprocess.DEVNULL)
    for _ in range(50):  # an earlier server must not be the one that answers
        if not rasa_answering(settings.rasa_url()):
            break
        time.sleep(0.2)
    started = time.perf_counter()
    process = subprocess.Popen([str(ROOT / "scripts" / "servers.sh"), "start"], env=env, cwd=ROOT,
                               stdout=subprocess.DEVNULL)
    ready = None
    while process.poll() is None or ready is None:
        if ready is None and rasa_answering(settings.rasa_url()):
            ready = time.perf_counter() - started
        if process.poll() is not None and process.returncode != 0:
            raise SystemExit("scripts/servers.sh start failed; see var/*.log")
        time.sleep(0.2)
    return ready


def replica_settings() -> Dict[str, str]:
    rasa, actions = settings.rasa_port(), settings.actions_port()
    return {"REPLICA_PORTS": f"{rasa + 21} {rasa + 22}", "ACTIONS_PORT": str(actions + 21),
            "NGINX_PORT": str(rasa + 77),
            "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
            or "postgresql://postgres@127.0.0.1:5432/test",
            "REDIS_URL": os.environ.get("BENCH_REDIS_URL") or os.environ.get("TEST_REDIS_URL")
            or "redis://127.0.0.1:6379/0"}


def replicas_missing(env: Dict[str, str]) -> Optional[str]:
    """Why two replicas cannot be measured here, or None."""
    import shutil

    import redis
    import sqlalchemy as sa

    if not shutil.which("nginx"):
        return "nginx is not installed"
    try:
        engine = sa.create_engine(env["DATABASE_URL"], connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except Exception as error:
        return f"PostgreSQL not reachable ({str(error).splitlines()[0]})"
    try:
        redis.StrictRedis.from_url(env["REDIS_URL"], socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis not reachable ({error})"
    return None


def replicas(command: str, env: Dict[str, str]) -> None:
    subprocess.run([str(ROOT / "scripts" / "replicas.sh"), command], check=command == "start",
                   env={**os.environ, "BIN": str(Path(sys.executable).parent), **LIMIT_ABOVE_LOAD, **env},
                   cwd=ROOT, stdout=subprocess.DEVNULL)


def train_seconds() -> float:
    rasa = str(Path(sys.executable).parent / "rasa")
    started = time.perf_counter()
    subprocess.run([rasa, "train", "--config", "bot/config.yml", "--domain", "bot/domain", "--data", "data",
                    "--out", str(ROOT / "var" / "benchmark-model"), "--force"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


async def measure(args: argparse.Namespace) -> Dict[str, Any]:
    texts, r = questions(), {}
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"tracker store {settings.database_url().split(':')[0]}, lock store "
          f"{'redis' if settings.redis_url() else 'memory'}, {args.seconds:g} s per load level")

    print("\n== floor: a trivial aiohttp handler on loopback, same client ==")
    for users, (latencies, rate) in (await floor(args.seconds)).items():
        print(f"{users:>3} users: {summary(latencies)}  {rate:7.0f} msg/s")
        r[f"floor {users}"] = rate

    if not args.no_start:
        r["ready"] = start_servers()
        print(f"\nRasa server answering after {r['ready']:.1f} s (started with the action server)")
    url = settings.rasa_url()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        client = Client(session, url)
        for text in texts[:5]:  # warm-up: first calls load lazily initialised parts
            await client.say(f"bench-warm-{uuid.uuid4().hex[:8]}", text)

        print("\n== NLU: POST /model/parse, sequential ==")
        r["parse"] = await parse_latencies(session, url, texts, 200)
        print(f"parse: {summary(r['parse'])}")

        print("\n== Q&A turn (one replica) ==")
        for users in LEVELS:
            latencies, rate = await run_users(users, args.seconds, qa_user(client, texts))
            print(f"{users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")
            r[f"qa {users}"], r[f"qa rate {users}"] = latencies, rate

        print("\n== eligibility-form turn (answering a 政策体检 question) ==")
        for users in LEVELS:
            latencies, rate = await run_users(users, args.seconds, form_user(client))
            print(f"{users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")
            r[f"form {users}"], r[f"form rate {users}"] = latencies, rate

        print("\n== turn 1 vs turn 40 of one conversation (5 conversations, sequential) ==")
        by_turn = await long_conversation(client, texts)
        r["first"] = [v for turn in by_turn[:3] for v in turn]
        r["last"] = [v for turn in by_turn[-3:] for v in turn]
        print(f"turns 1-3:   {summary(r['first'])}")
        print(f"turns 38-40: {summary(r['last'])}  ({quantile(r['last'], 50) / quantile(r['first'], 50) - 1:+.0%} at p50)")

    print("\n== peak RSS ==")
    for name in ("rasa", "actions"):
        r[f"rss {name}"] = rss = peak_rss_mb(ROOT / "var" / f"{name}.pid")
        print(f"{name:8} {rss:7.0f} MB" if rss else f"{name:8} not running")
    if not args.no_start:
        subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], cwd=ROOT, stdout=subprocess.DEVNULL)

    if not args.no_start and not args.no_workers:
        await measure_workers(args, texts, r)

    if not args.no_replicas:
        await measure_replicas(args, texts, r)

    if args.train:
        print("\n== training (rasa train --force) ==")
        r["train"] = train_seconds()
        print(f"training: {r['train'] / 60:.1f} min")
    return r


async def measure_workers(args: argparse.Namespace, texts: List[str], r: Dict[str, Any]) -> None:
    """The same replica with two Sanic worker processes (they share Redis locks; the embedded SQLite)."""
    redis_url = replica_settings()["REDIS_URL"]
    print(f"\n== Q&A turn, one replica with SANIC_WORKERS=2 (locks in Redis) ==")
    try:
        import redis

        redis.StrictRedis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as error:
        print(f"skipped: Redis not reachable at {redis_url} ({error})")
        return
    start_servers({"SANIC_WORKERS": "2", "REDIS_URL": redis_url})
    try:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         timeout=aiohttp.ClientTimeout(total=120)) as session:
            client = Client(session, settings.rasa_url())
            for text in texts[:10]:
                await client.say(f"bench-warm-{uuid.uuid4().hex[:8]}", text)
            for users in LEVELS:
                latencies, rate = await run_users(users, args.seconds, qa_user(client, texts))
                print(f"{users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")
                r[f"qa2 {users}"], r[f"qa2 rate {users}"] = latencies, rate
        r["rss rasa2"] = peak_rss_mb(ROOT / "var" / "rasa.pid")
        print(f"peak RSS of the Rasa server and its two workers: {r['rss rasa2']:.0f} MB")
    finally:
        subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], cwd=ROOT, stdout=subprocess.DEVNULL)


async def measure_replicas(args: argparse.Namespace, texts: List[str], r: Dict[str, Any]) -> None:
    env = replica_settings()
    print(f"\n== two Rasa replicas on PostgreSQL + Redis behind nginx (scripts/replicas.sh) ==")
    missing = replicas_missing(env)
    if missing:
        print(f"skipped: {missing} (BENCH_DATABASE_URL, BENCH_REDIS_URL)")
        return
    replicas("start", env)
    try:
        nginx = f"http://127.0.0.1:{env['NGINX_PORT']}"
        alone = f"http://127.0.0.1:{env['REPLICA_PORTS'].split()[0]}"
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                         timeout=aiohttp.ClientTimeout(total=120)) as session:
            for text in texts[:5]:
                await Client(session, nginx).say(f"bench-warm-{uuid.uuid4().hex[:8]}", text)
            for name, where in (("one replica on PostgreSQL", alone), ("two behind nginx", nginx)):
                for users in (10, 50):
                    latencies, rate = await run_users(users, args.seconds, qa_user(Client(session, where), texts))
                    print(f"{name:26} {users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")
                    r[f"{name} {users}"], r[f"{name} rate {users}"] = latencies, rate
        run = ROOT / "var" / "replicas"
        for pid_file in sorted(run.glob("rasa-*.pid")) + [run / "actions.pid"]:
            rss = peak_rss_mb(pid_file)
            print(f"peak RSS {pid_file.stem:10} {rss:7.0f} MB" if rss else f"{pid_file.stem}: not running")
    finally:
        replicas("stop", env)


def table(r: Dict[str, Any]) -> None:
    """Every figure of issue 11 against its target, in one table."""
    def p(key: str, q: int) -> Optional[float]:
        return quantile(r[key], q) if r.get(key) else None

    def ms(value: Optional[float]) -> str:
        return "—" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"

    rows = [("NLU parse p50 / p95", f"{ms(p('parse', 50))} / {ms(p('parse', 95))}", "p95 ≤ 20 ms",
             p("parse", 95) is not None and p("parse", 95) <= 20)]
    for kind, label in (("qa", "Q&A turn"), ("form", "form turn")):
        for users in LEVELS:
            target = {("qa", 10): 150, ("qa", 50): 600}.get((kind, users))
            rows.append((f"{label} p50 / p95, {users} users", f"{ms(p(f'{kind} {users}', 50))} / "
                         f"{ms(p(f'{kind} {users}', 95))}", f"p95 ≤ {target} ms" if target else "",
                         None if target is None or not r.get(f"{kind} {users}") else p(f"{kind} {users}", 95) <= target))
    rate = max((r.get(f"qa rate {users}") or 0) for users in LEVELS)
    rows.append(("Q&A msg/s, one replica (best level)", f"{rate:.1f}", "≥ 60", rate >= 60 if rate else None))
    if r.get("qa2 rate 10"):
        for users, target in ((10, 150), (50, 600)):
            rows.append((f"Q&A p50 / p95, {users} users, 2 workers", f"{ms(p(f'qa2 {users}', 50))} / "
                         f"{ms(p(f'qa2 {users}', 95))}", f"p95 ≤ {target} ms", p(f"qa2 {users}", 95) <= target))
        rate2 = max(r[f"qa2 rate {users}"] for users in LEVELS)
        rows.append(("Q&A msg/s, one replica, 2 workers", f"{rate2:.1f}", "≥ 60", rate2 >= 60))
    form_rate = max((r.get(f"form rate {users}") or 0) for users in LEVELS)
    rows.append(("form msg/s, one replica (best level)", f"{form_rate:.1f}", "", None))
    for name in ("one replica on PostgreSQL", "two behind nginx"):
        if r.get(f"{name} rate 50"):
            best = max(r[f"{name} rate 10"], r[f"{name} rate 50"])
            rows.append((f"Q&A msg/s, {name}", f"{best:.1f} (p95 {ms(p(f'{name} 50', 95))} at 50)", "", None))
    if r.get("first"):
        growth = p("last", 50) / p("first", 50) - 1
        rows.append(("turn 40 vs turn 1 (p50, turns 38-40 vs 1-3)", f"{ms(p('last', 50))} vs {ms(p('first', 50))} "
                     f"({growth:+.0%})", "within 20%", abs(growth) <= 0.20))
    if r.get("ready") is not None:
        rows.append(("Rasa server ready", f"{r['ready']:.1f} s", "≤ 15 s", r["ready"] <= 15))
    for name, limit in (("rasa", 1024), ("actions", 200)):
        if r.get(f"rss {name}"):
            rows.append((f"peak RSS {name}", f"{r[f'rss {name}']:.0f} MB", f"≤ {limit} MB", r[f"rss {name}"] <= limit))
    if r.get("rss rasa2"):
        rows.append(("peak RSS rasa, 2 workers (all processes)", f"{r['rss rasa2']:.0f} MB", "", None))
    if r.get("train"):
        rows.append(("training (rasa train --force)", f"{r['train'] / 60:.1f} min", "", None))
    if r.get("floor 10"):
        rows.append(("floor msg/s at 1 / 10 / 50 users", " / ".join(f"{r[f'floor {u}']:.0f}" for u in LEVELS), "", None))
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    print(f"\n== summary (issue 11 targets) ==\n{'what':{width}}  {'measured':{value_width}}  target")
    for what, value, target, met in rows:
        mark = "" if met is None else ("  met" if met else "  MISSED")
        print(f"{what:{width}}  {value:{value_width}}  {target}{mark}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each load level")
    parser.add_argument("--train", action="store_true", help="also time a full training (about 5 min)")
    parser.add_argument("--no-start", action="store_true", help="use servers that are already running")
    parser.add_argument("--no-replicas", action="store_true", help="skip two replicas behind nginx")
    parser.add_argument("--no-workers", action="store_true", help="skip the replica with two Sanic workers")
    args = parser.parse_args()
    try:
        table(asyncio.run(measure(args)))
    finally:
        if not args.no_start:
            subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], cwd=ROOT, stdout=subprocess.DEVNULL)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
