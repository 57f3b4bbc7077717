"""Performance of the running assistant, measured from outside over HTTP, in one run (`make benchmark`).

Starts the servers itself (scripts/servers.sh, with the ports and settings of the environment), then
prints: the floor (a trivial aiohttp handler on loopback, same client, so ratios compare across
machines); time until the Rasa server answers; NLU parse p50/p95; a Q&A turn and an eligibility-form
turn p50/p95 at 1, 10 and 50 concurrent users; messages per second on one replica (and on two behind
nginx when NGINX_URL points at such a pair); turn 1 vs turn 40 of one conversation; peak RSS of each
server process; and, with --train, the training time. The load generator is this process (asyncio +
aiohttp), so on a small machine it shares the CPU with the servers, as a real client would not.

Usage: python scripts/benchmark.py [--seconds 10] [--train] [--no-start]
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


def start_servers() -> float:
    # One benchmark conversation sends 40 messages in a few seconds, faster than a person may:
    # the per-sender limit stays in the path but is set above the load.
    env = {**os.environ, "BIN": str(Path(sys.executable).parent), "SENDER_RATE_LIMIT": "1000000/60"}
    started = time.perf_counter()
    subprocess.run([str(ROOT / "scripts" / "servers.sh"), "start"], check=True, env=env, cwd=ROOT,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def train_seconds() -> float:
    rasa = str(Path(sys.executable).parent / "rasa")
    started = time.perf_counter()
    subprocess.run([rasa, "train", "--config", "bot/config.yml", "--domain", "bot/domain", "--data", "data",
                    "--out", str(ROOT / "var" / "benchmark-model"), "--force"], check=True, cwd=ROOT,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


async def measure(args: argparse.Namespace) -> None:
    texts = questions()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"tracker store {settings.database_url().split(':')[0]}, lock store "
          f"{'redis' if settings.redis_url() else 'memory'}, {args.seconds:g} s per load level")

    print("\n== floor: a trivial aiohttp handler on loopback, same client ==")
    for users, (latencies, rate) in (await floor(args.seconds)).items():
        print(f"{users:>3} users: {summary(latencies)}  {rate:7.0f} msg/s")

    if not args.no_start:
        ready = start_servers()
        print(f"\nRasa server (and action server) answering after {ready:.1f} s")
    url = settings.rasa_url()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0),
                                     timeout=aiohttp.ClientTimeout(total=120)) as session:
        client = Client(session, url)
        for text in texts[:5]:  # warm-up: first calls load lazily initialised parts
            await client.say(f"bench-warm-{uuid.uuid4().hex[:8]}", text)

        print("\n== NLU: POST /model/parse, sequential ==")
        print(f"parse: {summary(await parse_latencies(session, url, texts, 200))}")

        print("\n== Q&A turn (one replica) ==")
        for users in LEVELS:
            latencies, rate = await run_users(users, args.seconds, qa_user(client, texts))
            print(f"{users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")

        print("\n== eligibility-form turn (answering a 政策体检 question) ==")
        for users in LEVELS:
            latencies, rate = await run_users(users, args.seconds, form_user(client))
            print(f"{users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")

        nginx = os.environ.get("NGINX_URL")
        if nginx:
            print(f"\n== Q&A through nginx at {nginx} (two replicas) ==")
            through = Client(session, nginx.rstrip("/"))
            for users in (10, 50):
                latencies, rate = await run_users(users, args.seconds, qa_user(through, texts))
                print(f"{users:>3} users: {summary(latencies)}  {rate:7.1f} msg/s")
        else:
            print("\n(two replicas behind nginx: set NGINX_URL to measure them)")

        print("\n== turn 1 vs turn 40 of one conversation (5 conversations, sequential) ==")
        by_turn = await long_conversation(client, texts)
        first = [v for turn in by_turn[:3] for v in turn]
        last = [v for turn in by_turn[-3:] for v in turn]
        print(f"turns 1-3:   {summary(first)}")
        print(f"turns 38-40: {summary(last)}  ({quantile(last, 50) / quantile(first, 50) - 1:+.0%} at p50)")

    print("\n== peak RSS ==")
    for name in ("rasa", "actions"):
        rss = peak_rss_mb(ROOT / "var" / f"{name}.pid")
        print(f"{name:8} {rss:7.0f} MB" if rss else f"{name:8} not running")

    if args.train:
        print("\n== training (rasa train --force) ==")
        print(f"training: {train_seconds() / 60:.1f} min")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each load level")
    parser.add_argument("--train", action="store_true", help="also time a full training (about 5 min)")
    parser.add_argument("--no-start", action="store_true", help="use servers that are already running")
    args = parser.parse_args()
    try:
        asyncio.run(measure(args))
    finally:
        if not args.no_start:
            subprocess.run([str(ROOT / "scripts" / "servers.sh"), "stop"], cwd=ROOT)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
